#!/usr/bin/env bash
# `npm run check:deploy`: static checks of everything in deploy/ and the per-service Dockerfiles. Needs no
# Docker engine and no cluster. Installs its tools itself, pinned, cached outside the repository
# (${COFFEECHAT_CACHE_DIR:-~/.cache/coffeechat}/bin), from the Go module proxy, Debian's packages and
# the npm registry only:
#   helm (go install, pinned)          lint and render the chart with development and production values, and
#                                      check what it refuses (environment: production with trial settings)
#   kubecheck (deploy/kubecheck, Go)   strict decoding of every rendered object with the Kubernetes API types
#   deploy/checks (Node, lockfile)     kubernetes-models schemas + the chart's policy, the Compose
#                                      specification schema, "each Dockerfile copies only what it needs"
#   promtool (scripts/go-tools.mjs)    Prometheus config and rules, when deploy/prometheus exists: the pinned
#                                      promtool that `npm test` uses too, built once from the Go module proxy
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${COFFEECHAT_CACHE_DIR:-$HOME/.cache/coffeechat}"
BIN="$CACHE/bin"
HELM_VERSION=v3.19.0
# Kubernetes minor of helm v3.19's k8s.io modules (v0.34): the version `helm lint` checks deprecations
# against and `helm template` reports in .Capabilities (official builds set it the same way)
HELM_KUBE_MINOR=34
HELM="$BIN/helm-$HELM_VERSION"
CHART="deploy/helm/coffeechat"
PROD_VALUES="deploy/helm/values-production.yaml"
DEV_VALUES="deploy/helm/values-development.yaml"
PNPM=(node "$ROOT/.tools/node_modules/pnpm/bin/pnpm.cjs")
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BIN"

step() { printf '\n== %s\n' "$*"; }

ensure_helm() {
  [ -x "$HELM" ] && return
  command -v go >/dev/null || { echo "helm needs Go to build (go install)" >&2; exit 1; }
  echo "building helm $HELM_VERSION once (go install; a few minutes), cached as $HELM"
  local pkg=helm.sh/helm/v3
  GOBIN="$WORK/gobin" GOFLAGS=-mod=mod go install -trimpath -ldflags "-w -s \
    -X $pkg/internal/version.version=$HELM_VERSION -X $pkg/internal/version.gitTreeState=clean \
    -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR \
    -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR" \
    "$pkg/cmd/helm@$HELM_VERSION"
  mv "$WORK/gobin/helm" "$HELM"
}

# built from deploy/kubecheck at the module versions of its go.sum; rebuilt when its sources change
ensure_kubecheck() {
  local hash
  hash="$(cat deploy/kubecheck/go.mod deploy/kubecheck/go.sum deploy/kubecheck/main.go | sha256sum | cut -c1-16)"
  KUBECHECK="$BIN/kubecheck-$hash"
  [ -x "$KUBECHECK" ] && return
  echo "building deploy/kubecheck once, cached as $KUBECHECK"
  (cd deploy/kubecheck && GOFLAGS=-mod=readonly go build -trimpath -o "$KUBECHECK.tmp" .)
  mv "$KUBECHECK.tmp" "$KUBECHECK"
}

ensure_promtool() {
  PROMTOOL="$(node scripts/cli.mjs tool promtool | tail -n 1)"
}

checks() { node deploy/checks/dist/cli.js "$@"; }

step "deploy/checks: build and self-test"
"${PNPM[@]}" --filter @coffeechat/deploy-checks run build >/dev/null
"${PNPM[@]}" exec vitest run --root deploy/checks --reporter=dot

step "Dockerfiles copy only what their service needs"
checks dockerfiles

step "deploy/compose.yaml against the Compose specification"
checks compose

ensure_helm
ensure_kubecheck

step "helm lint (development and production values)"
"$HELM" lint "$CHART" --strict -f "$DEV_VALUES"
"$HELM" lint "$CHART" --strict -f "$PROD_VALUES"

step "helm template"
"$HELM" template coffeechat "$CHART" -f "$DEV_VALUES" >"$WORK/development.yaml"
"$HELM" template coffeechat "$CHART" -f "$PROD_VALUES" >"$WORK/production.yaml"
# every optional object on, so each template is validated at least once
"$HELM" template coffeechat "$CHART" -f "$DEV_VALUES" --set ingress.enabled=true --set ingress.tls.enabled=true \
  --set metrics.serviceMonitor.enabled=true --set presence.pdb.enabled=true --set feed.pdb.enabled=true \
  --set gateway.autoscaling.enabled=true --set auth.jwksUrl=https://issuer.example.com/jwks.json \
  --set config.otel.endpoint=http://collector:4318 >"$WORK/everything.yaml"
echo "rendered: development, production, everything-enabled"

# NOTES.txt is not part of `helm template`'s output: render it through tpl in a scratch copy
cp -r "$CHART" "$WORK/notes-chart"
cp "$CHART/templates/NOTES.txt" "$WORK/notes-chart/notes.txt"
printf '%s\n' 'apiVersion: v1' 'kind: ConfigMap' 'metadata: {name: notes}' \
  'data: {notes: {{ tpl (.Files.Get "notes.txt") . | quote }}}' >"$WORK/notes-chart/templates/notes-check.yaml"
for values in "-f $DEV_VALUES" "-f $PROD_VALUES"; do
  # shellcheck disable=SC2086
  "$HELM" template coffeechat "$WORK/notes-chart" $values --show-only templates/notes-check.yaml >/dev/null
done
echo "NOTES.txt renders with development and production values"

step "the chart refuses more routers than partitions"
if "$HELM" template coffeechat "$CHART" -f "$DEV_VALUES" --set config.routerPartitions=2 \
  --set messageRouter.replicas=3 >/dev/null 2>"$WORK/refused.txt"; then
  echo "FAIL: messageRouter.replicas=3 with 2 partitions rendered" >&2
  exit 1
fi
grep -o 'messageRouter.replicas (3) must not exceed config.routerPartitions (2)' "$WORK/refused.txt"

step "environment: production refuses what only suits a trial (the defaults)"
if "$HELM" template coffeechat "$CHART" >/dev/null 2>"$WORK/refused.txt"; then
  echo "FAIL: the default values (environment: production, nothing set) rendered" >&2
  exit 1
fi
for unset in auth.issuer auth.audience 'rabbitmq.url with amqps://' 'redis.url with rediss://' \
  'mongodb.url with tls=true' rabbitmq.users.adminSecret.name config.allowedOrigins; do
  grep -qF "$unset" "$WORK/refused.txt" || { echo "FAIL: the refusal does not name $unset" >&2; exit 1; }
done
echo "refused, naming every unset setting"
if "$HELM" template coffeechat "$CHART" -f "$PROD_VALUES" --set ingress.tls.enabled=false \
  --set redis.existingSecret.name= --set redis.url=redis://redis:6379 >/dev/null 2>"$WORK/refused.txt"; then
  echo "FAIL: production values without TLS rendered" >&2
  exit 1
fi
grep -o 'redis.url with rediss:// (TLS) or redis.existingSecret.name; ingress.tls.enabled' "$WORK/refused.txt"
if "$HELM" template coffeechat "$CHART" -f "$PROD_VALUES" --set web.gatewayUrl=ws://chat.example.com/ws \
  >/dev/null 2>"$WORK/refused.txt"; then
  echo "FAIL: production values with a plain ws:// gateway URL for the web app rendered" >&2
  exit 1
fi
grep -o 'web.gatewayUrl with wss://' "$WORK/refused.txt"

step "the web app: a host of its own, its origin allowed, and off when disabled"
if "$HELM" template coffeechat "$CHART" -f "$PROD_VALUES" --set 'config.allowedOrigins={https://other.example.com}' \
  >/dev/null 2>"$WORK/refused.txt"; then
  echo "FAIL: allowed origins without the web app's rendered" >&2
  exit 1
fi
grep -o 'config.allowedOrigins must include https://coffeechat.example.com' "$WORK/refused.txt"
if "$HELM" template coffeechat "$CHART" -f "$DEV_VALUES" --set ingress.enabled=true --set ingress.host=chat.example.com \
  --set web.ingress.host=chat.example.com >/dev/null 2>"$WORK/refused.txt"; then
  echo "FAIL: the web app on the API host rendered" >&2
  exit 1
fi
grep -o 'web.ingress.host must differ from ingress.host' "$WORK/refused.txt"
"$HELM" template coffeechat "$CHART" -f "$PROD_VALUES" --set web.enabled=false >"$WORK/no-web.yaml"
if grep -q 'app.kubernetes.io/component: web' "$WORK/no-web.yaml"; then
  echo "FAIL: web.enabled=false still renders web objects" >&2
  exit 1
fi
echo "web.enabled=false renders no web object"

step "NetworkPolicies: one per service and the web app, the gateway alone open to gatewayFrom"
grep -c '^kind: NetworkPolicy' "$WORK/production.yaml" | grep -qx 5 || { echo "FAIL: not 5 NetworkPolicies" >&2; exit 1; }
"$HELM" template coffeechat "$CHART" -f "$DEV_VALUES" --set 'networkPolicy.gatewayFrom[0].ipBlock.cidr=0.0.0.0/0' \
  --show-only templates/networkpolicy.yaml >"$WORK/np.yaml"
[ "$(grep -c 'cidr: 0.0.0.0/0' "$WORK/np.yaml")" = 1 ] || { echo "FAIL: gatewayFrom not on the gateway alone" >&2; exit 1; }
echo "5 NetworkPolicies; gatewayFrom on the gateway only"

step "Kubernetes API: strict decoding (unknown fields, types) with the API types of Kubernetes 1.$HELM_KUBE_MINOR"
for rendering in development production everything; do
  printf '%s: ' "$rendering"
  "$KUBECHECK" <"$WORK/$rendering.yaml"
done

step "Kubernetes API schemas (kubernetes-models) and the chart's policy"
checks manifests "$WORK/development.yaml" Deployment,Service,ConfigMap,Secret,PodDisruptionBudget,NetworkPolicy,Job
checks manifests "$WORK/production.yaml" Deployment,Service,ConfigMap,HorizontalPodAutoscaler,PodDisruptionBudget,Ingress,ServiceMonitor,NetworkPolicy,Job
checks manifests "$WORK/everything.yaml" Deployment,Service,ConfigMap,Secret,HorizontalPodAutoscaler,PodDisruptionBudget,Ingress,ServiceMonitor,NetworkPolicy,Job

if [ -d deploy/prometheus ]; then
  step "promtool (deploy/prometheus)"
  ensure_promtool
  "$PROMTOOL" --version 2>&1 | head -1
  # the config and the rule files it names (relative to it), then every rule file and rule unit test
  "$PROMTOOL" check config deploy/prometheus/prometheus.yml
  mapfile -t rules < <(grep -rlE '^groups:' deploy/prometheus --include='*.yml' --include='*.yaml' || true)
  if [ "${#rules[@]}" -gt 0 ]; then "$PROMTOOL" check rules "${rules[@]}"; fi
  mapfile -t tests < <(grep -rlE '^tests:' deploy/prometheus --include='*.yml' --include='*.yaml' || true)
  if [ "${#tests[@]}" -gt 0 ]; then (cd deploy/prometheus && "$PROMTOOL" test rules "${tests[@]#deploy/prometheus/}"); fi
else
  step "promtool: skipped (no deploy/prometheus yet)"
fi

if [ -d deploy/grafana ]; then
  step "Grafana dashboards parse as JSON (deploy/grafana)"
  find deploy/grafana -name '*.json' -print0 | xargs -0 -r -n1 node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log("ok", process.argv[1])'
fi

printf '\ncheck:deploy passed\n'
