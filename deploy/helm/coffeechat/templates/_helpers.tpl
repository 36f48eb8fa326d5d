{{/*
Names, labels and the per-service facts the templates share.
*/}}

{{- define "coffeechat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "coffeechat.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects: <fullname>-<service>. Call with (dict "root" $ "name" "gateway"). */}}
{{- define "coffeechat.componentName" -}}
{{- printf "%s-%s" (include "coffeechat.fullname" .root | trunc 47 | trimSuffix "-") .name -}}
{{- end -}}

{{- define "coffeechat.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "coffeechat.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: coffeechat
{{- end -}}

{{/* Call with (dict "root" $ "name" "<service>"); without "name" the labels cover the whole release. */}}
{{- define "coffeechat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "coffeechat.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .name }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/*
The four services and the web app (when web.enabled): values key, port variable and port (SPEC §2), the
Secret key of its own broker URL (its RabbitMQ user), which servers each one talks to (deploy/check.sh
compares "needs" with each service's package.json dependencies), and whether it verifies tokens (then it
gets the JWT secret; the web app's server verifies none).
*/}}
{{- define "coffeechat.components" -}}
gateway:
  amqpKey: AMQP_URL_GATEWAY
  key: gateway
  portVar: GATEWAY_PORT
  port: 8080
  needs: [amqp]
  verifiesTokens: true
message-router:
  amqpKey: AMQP_URL_MESSAGE_ROUTER
  key: messageRouter
  portVar: ROUTER_PORT
  port: 8081
  needs: [amqp, redis, mongo]
  verifiesTokens: true
presence:
  amqpKey: AMQP_URL_PRESENCE
  key: presence
  portVar: PRESENCE_PORT
  port: 8082
  needs: [amqp, redis]
  verifiesTokens: true
feed:
  amqpKey: AMQP_URL_FEED
  key: feed
  portVar: FEED_PORT
  port: 8083
  needs: [amqp, redis, mongo]
  verifiesTokens: true
{{- if .Values.web.enabled }}
web:
  key: web
  portVar: WEB_PORT
  port: 8084
  needs: []
  verifiesTokens: false
{{- end }}
{{- end -}}

{{/*
Where browsers reach the services, as the web app tells its pages (/config.json) and allows them in its
Content-Security-Policy: web.gatewayUrl etc., else from the Ingress (wss://<ingress.host>/ws and
https://<ingress.host>; ws/http without TLS); with neither, unset (the page's own host on the default ports).
*/}}
{{- define "coffeechat.webUrls" -}}
{{- $v := .Values -}}
{{- $urls := dict "WEB_GATEWAY_URL" $v.web.gatewayUrl "WEB_ROUTER_URL" $v.web.routerUrl "WEB_FEED_URL" $v.web.feedUrl -}}
{{- if $v.ingress.enabled -}}
{{- $tls := $v.ingress.tls.enabled -}}
{{- $api := printf "%s://%s" (ternary "https" "http" $tls) $v.ingress.host -}}
{{- $_ := set $urls "WEB_GATEWAY_URL" ($urls.WEB_GATEWAY_URL | default (printf "%s://%s/ws" (ternary "wss" "ws" $tls) $v.ingress.host)) -}}
{{- $_ := set $urls "WEB_ROUTER_URL" ($urls.WEB_ROUTER_URL | default $api) -}}
{{- $_ := set $urls "WEB_FEED_URL" ($urls.WEB_FEED_URL | default $api) -}}
{{- end -}}
{{- toYaml $urls -}}
{{- end -}}

{{/* The web app's public origin, from its Ingress host; empty without one. */}}
{{- define "coffeechat.webOrigin" -}}
{{- $v := .Values -}}
{{- if and $v.web.enabled $v.ingress.enabled $v.web.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" $v.ingress.tls.enabled) $v.web.ingress.host -}}
{{- end -}}
{{- end -}}

{{- define "coffeechat.component" -}}
{{- index (include "coffeechat.components" .root | fromYaml) .name | toYaml -}}
{{- end -}}

{{- define "coffeechat.image" -}}
{{- $root := .root -}}
{{- $img := $root.Values.image -}}
{{- $own := (index $root.Values .key).image | default dict -}}
{{- $repository := $own.repository | default (printf "%s%s" $img.repositoryPrefix .name) -}}
{{- $tag := $own.tag | default $img.tag | default $root.Chart.AppVersion -}}
{{- if $img.registry -}}
{{- printf "%s/%s:%s" $img.registry $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "coffeechat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "coffeechat.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret this chart writes (URLs and JWT secret not taken from an existing Secret). */}}
{{- define "coffeechat.secretName" -}}
{{- include "coffeechat.fullname" . -}}
{{- end -}}

{{/* SIGTERM arrives after the preStop sleep; the process then has drainSeconds, plus a margin. */}}
{{- define "coffeechat.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.drainSeconds 5 -}}
{{- end -}}

{{/* Checks across values that values.schema.json cannot express. */}}
{{- define "coffeechat.validate" -}}
{{- $v := .Values -}}
{{- if gt (int $v.messageRouter.replicas) (int $v.config.routerPartitions) -}}
{{- fail (printf "messageRouter.replicas (%d) must not exceed config.routerPartitions (%d): each partition has exactly one active consumer, so extra routers would sit idle (see deploy/README.md, 'Scale routers')" (int $v.messageRouter.replicas) (int $v.config.routerPartitions)) -}}
{{- end -}}
{{- if and $v.gateway.autoscaling.enabled (gt (int $v.gateway.autoscaling.minReplicas) (int $v.gateway.autoscaling.maxReplicas)) -}}
{{- fail "gateway.autoscaling.minReplicas must not exceed gateway.autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and $v.auth.jwksUrl (or $v.auth.jwtSecret $v.auth.existingSecret.name) -}}
{{- fail "auth: set either auth.jwksUrl (RS256/ES256) or a shared secret (auth.jwtSecret / auth.existingSecret), not both" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.host) -}}
{{- fail "ingress.enabled needs ingress.host" -}}
{{- end -}}
{{- if eq $v.config.environment "production" -}}
{{- include "coffeechat.validateProduction" . -}}
{{- end -}}
{{- include "coffeechat.validateWeb" . -}}
{{- if and $v.rabbitmq.users.create (not $v.rabbitmq.users.adminSecret.name) -}}
{{- fail "rabbitmq.users.create needs rabbitmq.users.adminSecret.name: a Secret with a RabbitMQ administrator's credentials (or set rabbitmq.users.create=false and create the users yourself, docs/security.md)" -}}
{{- end -}}
{{- end -}}

{{/*
environment: production refuses what only suits a trial, naming every setting left unset at once. A URL
that comes from an existing Secret is the operator's to check.
*/}}
{{- define "coffeechat.validateProduction" -}}
{{- $v := .Values -}}
{{- $missing := list -}}
{{- if not (or $v.auth.jwksUrl $v.auth.jwtSecret $v.auth.existingSecret.name) -}}
{{- $missing = append $missing "auth.existingSecret.name, auth.jwtSecret or auth.jwksUrl (the generated secret is for trials)" -}}
{{- end -}}
{{- if and $v.auth.jwksUrl (not (hasPrefix "https://" $v.auth.jwksUrl)) -}}
{{- $missing = append $missing "auth.jwksUrl over https" -}}
{{- end -}}
{{- if not $v.auth.issuer -}}
{{- $missing = append $missing "auth.issuer" -}}
{{- end -}}
{{- if not $v.auth.audience -}}
{{- $missing = append $missing "auth.audience" -}}
{{- end -}}
{{- if not (or $v.rabbitmq.existingSecret.name (hasPrefix "amqps://" $v.rabbitmq.url)) -}}
{{- $missing = append $missing "rabbitmq.url with amqps:// (TLS) or rabbitmq.existingSecret.name" -}}
{{- end -}}
{{- if and $v.rabbitmq.users.create (not $v.rabbitmq.users.adminSecret.name) -}}
{{- $missing = append $missing "rabbitmq.users.adminSecret.name" -}}
{{- end -}}
{{- if and $v.rabbitmq.users.create (not (hasPrefix "https://" $v.rabbitmq.users.managementUrl)) -}}
{{- $missing = append $missing "rabbitmq.users.managementUrl with https://" -}}
{{- end -}}
{{- if not (or $v.redis.existingSecret.name (hasPrefix "rediss://" $v.redis.url)) -}}
{{- $missing = append $missing "redis.url with rediss:// (TLS) or redis.existingSecret.name" -}}
{{- end -}}
{{- $mongo := $v.mongodb.url -}}
{{- if not (or $v.mongodb.existingSecret.name (hasPrefix "mongodb+srv://" $mongo) (regexMatch "[?&](tls|ssl)=true" $mongo)) -}}
{{- $missing = append $missing "mongodb.url with tls=true or mongodb+srv:// or mongodb.existingSecret.name" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.tls.enabled) -}}
{{- $missing = append $missing "ingress.tls.enabled" -}}
{{- end -}}
{{- if not $v.config.allowedOrigins -}}
{{- $missing = append $missing "config.allowedOrigins (the pages allowed to use the APIs)" -}}
{{- end -}}
{{- if $v.web.enabled -}}
{{- range $key, $scheme := dict "gatewayUrl" "wss://" "routerUrl" "https://" "feedUrl" "https://" -}}
{{- $url := index $v.web $key -}}
{{- if and $url (not (hasPrefix $scheme $url)) -}}
{{- $missing = append $missing (printf "web.%s with %s" $key $scheme) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "config.environment is production, so set: %s (deploy/README.md, \"Install with Helm\"; for a trial use deploy/helm/values-development.yaml)" (join "; " $missing)) -}}
{{- end -}}
{{- end -}}

{{/*
One secret setting as an env entry: from the named existing Secret, else from this chart's Secret, under
`key` (default: the variable's name).
*/}}
{{- define "coffeechat.secretEnv" -}}
- name: {{ .var }}
  valueFrom:
    secretKeyRef:
      {{- if .source.existingSecret.name }}
      name: {{ .source.existingSecret.name }}
      key: {{ .key | default .source.existingSecret.key }}
      {{- else }}
      name: {{ include "coffeechat.secretName" .root }}
      key: {{ .key | default .var }}
      {{- end }}
{{- end -}}

{{/*
The web app on the Ingress needs a host of its own (its client-side routes /rooms/… and /posts/… are API
paths on ingress.host), and a non-empty config.allowedOrigins must let its pages in (the services' CORS
and the gateway's origin check), in every environment: otherwise the page loads and every call is refused.
*/}}
{{- define "coffeechat.validateWeb" -}}
{{- $v := .Values -}}
{{- if and $v.web.enabled $v.ingress.enabled -}}
{{- if not $v.web.ingress.host -}}
{{- fail "web.enabled with ingress.enabled needs web.ingress.host: the browser app's own host (its routes /rooms/… and /posts/… are API paths on ingress.host); or set web.enabled=false" -}}
{{- end -}}
{{- if eq $v.web.ingress.host $v.ingress.host -}}
{{- fail (printf "web.ingress.host must differ from ingress.host (%s): the browser app's routes /rooms/… and /posts/… are API paths there, so a reload would reach the API" $v.ingress.host) -}}
{{- end -}}
{{- end -}}
{{- $origin := include "coffeechat.webOrigin" . -}}
{{- if and $origin $v.config.allowedOrigins (not (has $origin $v.config.allowedOrigins)) -}}
{{- fail (printf "config.allowedOrigins must include %s, the web app's origin (web.ingress.host): the services would refuse its pages' calls and WebSockets" $origin) -}}
{{- end -}}
{{- end -}}
