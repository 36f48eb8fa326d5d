# syntax=docker/dockerfile:1.7
# The image of one CoffeeChat service, named by the build argument SERVICE (gateway, message-router,
# presence, feed, or web: the browser app's static build with its small Node server): one Dockerfile,
# still one image per service. Build from the repository root:
#   docker build --build-arg SERVICE=gateway -t coffeechat/gateway:dev .
# `turbo prune` cuts the workspace down to the service, the workspace packages it depends on and their
# part of the lockfile; only that reaches the build stage, so changes elsewhere in the monorepo keep its
# layers cached. deploy/check.sh checks this file (deploy/checks/src/dockerfile-policy.ts).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS prune
ARG SERVICE
# the version of the root package.json's devDependencies (deploy/check.sh keeps the two equal)
ARG TURBO_VERSION=2.11.11
RUN case "${SERVICE}" in \
      gateway|message-router|presence|feed|web) ;; \
      *) echo "--build-arg SERVICE=gateway|message-router|presence|feed|web is required" >&2; exit 1 ;; \
    esac
RUN npm install --global --no-audit --no-fund --no-update-notifier turbo@${TURBO_VERSION}
WORKDIR /repo
COPY . .
RUN turbo prune "@coffeechat/${SERVICE}" --docker --out-dir /pruned

FROM ${NODE_IMAGE} AS build
ARG SERVICE
# the version in package.json's "packageManager" (deploy/check.sh keeps the two equal)
ARG PNPM_VERSION=10.34.8
ENV CI=true
RUN npm install --global --no-audit --no-fund --no-update-notifier pnpm@${PNPM_VERSION}
WORKDIR /repo
# What the build needs beyond the service and its runtime dependencies: the browser app bundles the SDK
# into its static files, so @coffeechat/client is a devDependency of web that must be installed and built
# (deploy/check.sh compares this with the workspace packages apps/web/src imports).
RUN case "${SERVICE}" in \
      web) echo "--filter-prod=@coffeechat/client..." ;; \
    esac >/build-filters
# Manifests and the pruned lockfile first: the install layer changes only when dependencies do.
COPY --from=prune /pruned/json/ ./
RUN --mount=type=cache,id=coffeechat-pnpm-store,target=/pnpm-store \
    pnpm install --frozen-lockfile --store-dir /pnpm-store --filter-prod "@coffeechat/${SERVICE}..." $(cat /build-filters)
COPY --from=prune /pruned/full/ ./
COPY --from=prune /repo/tsconfig.base.json ./
RUN pnpm --filter-prod "@coffeechat/${SERVICE}..." $(cat /build-filters) run build
# pnpm 10's deploy wants inject-workspace-packages; the workspace links its packages instead (so edits
# show up without a reinstall), hence --legacy, which still installs the versions of pnpm-lock.yaml.
RUN --mount=type=cache,id=coffeechat-pnpm-store,target=/pnpm-store \
    pnpm --filter "@coffeechat/${SERVICE}" --prod deploy --legacy --store-dir /pnpm-store /out \
 && test -f /out/dist/main.js \
 && for pkg in /out /out/node_modules/.pnpm/@coffeechat+*/node_modules/@coffeechat/*; do \
      rm -rf "$pkg/src" "$pkg/test" "$pkg/.turbo" "$pkg"/tsconfig*.json "$pkg/vitest.config.ts"; \
    done \
 && if [ "${SERVICE}" = web ]; then \
      test -f /out/dist/public/index.html && rm -rf /out/server /out/index.html /out/vite.config.ts; \
    fi
# uWebSockets.js (the gateway's) ships prebuilt binaries for every platform and Node ABI and silently
# falls back to a slow pure-JS server when none fits: keep only the binary of this image's Node (ABI 115
# on Node 20, glibc) and fail the build when it is missing.
RUN uws="$(echo /out/node_modules/.pnpm/@trufflesuite+uws-js-unofficial@*/node_modules/@trufflesuite/uws-js-unofficial)" \
 && if [ -d "$uws" ]; then \
      binary="uws_$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules').node" \
      && test -f "$uws/binaries/$binary" \
      && find "$uws/binaries" -type f ! -name "$binary" -delete \
      && rm -rf "$uws/docs" "$uws"/dist/*.node; \
    fi

FROM ${NODE_IMAGE} AS runtime
ARG NODE_IMAGE
ARG SERVICE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="coffeechat-${SERVICE}" \
      org.opencontainers.image.description="CoffeeChat ${SERVICE} (apps/${SERVICE}, deploy/README.md)" \
      org.opencontainers.image.vendor="CoffeeChat" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
ENV NODE_ENV=production \
    COFFEECHAT_SERVICE=${SERVICE}
WORKDIR /app
# root-owned and read-only for the service's user: the process cannot change its own code
COPY --from=build /out/package.json ./
COPY --from=build /out/node_modules ./node_modules
COPY --from=build /out/dist ./dist
# numeric, so Kubernetes' runAsNonRoot can verify it (the image's "node" user)
USER 1000:1000
STOPSIGNAL SIGTERM
# slim images have no curl; Node's fetch asks /healthz (process alive, SPEC §2) on the service's port:
# its *_PORT setting, else its default
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const [name, port] = { gateway: ['GATEWAY_PORT', 8080], 'message-router': ['ROUTER_PORT', 8081], presence: ['PRESENCE_PORT', 8082], feed: ['FEED_PORT', 8083], web: ['WEB_PORT', 8084] }[process.env.COFFEECHAT_SERVICE]; fetch('http://127.0.0.1:' + (process.env[name] || port) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
