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
The four services: values key, port variable and port (SPEC §2), and which servers each one talks to
(deploy/check.sh compares "needs" with each service's package.json dependencies).
*/}}
{{- define "coffeechat.components" -}}
gateway:
  key: gateway
  portVar: GATEWAY_PORT
  port: 8080
  needs: [amqp]
message-router:
  key: messageRouter
  portVar: ROUTER_PORT
  port: 8081
  needs: [amqp, redis, mongo]
presence:
  key: presence
  portVar: PRESENCE_PORT
  port: 8082
  needs: [amqp, redis]
feed:
  key: feed
  portVar: FEED_PORT
  port: 8083
  needs: [amqp, redis, mongo]
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
{{- end -}}

{{/* One URL setting as an env entry: from the named existing Secret, else from this chart's Secret. */}}
{{- define "coffeechat.secretEnv" -}}
- name: {{ .var }}
  valueFrom:
    secretKeyRef:
      {{- if .source.existingSecret.name }}
      name: {{ .source.existingSecret.name }}
      key: {{ .source.existingSecret.key }}
      {{- else }}
      name: {{ include "coffeechat.secretName" .root }}
      key: {{ .var }}
      {{- end }}
{{- end -}}
