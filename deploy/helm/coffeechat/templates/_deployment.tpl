{{/*
The Deployment of one service; every service runs the same way (SPEC §2: /healthz, /readyz, /metrics,
settings from the environment, drain within 10 s of SIGTERM). Call with (dict "root" $ "name" "<service>").
*/}}
{{- define "coffeechat.deployment" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $c := include "coffeechat.component" . | fromYaml -}}
{{- $v := index $root.Values $c.key -}}
{{- $ctx := dict "root" $root "name" $name -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "coffeechat.componentName" $ctx }}
  labels:
    {{- include "coffeechat.labels" $ctx | nindent 4 }}
spec:
  {{- if not (and (hasKey $v "autoscaling") $v.autoscaling.enabled) }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "coffeechat.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # a new pod must be ready before an old one stops: capacity never drops during an upgrade
      maxUnavailable: 0
      maxSurge: {{ $v.maxSurge | default 1 }}
  template:
    metadata:
      labels:
        {{- include "coffeechat.selectorLabels" $ctx | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # settings are read once at start-up: a changed ConfigMap or Secret rolls the pods
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "coffeechat.serviceAccountName" $root }}
      # the services never call the Kubernetes API
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ include "coffeechat.terminationGracePeriodSeconds" $root }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      topologySpreadConstraints:
        {{- if $v.topologySpreadConstraints }}
        {{- toYaml $v.topologySpreadConstraints | nindent 8 }}
        {{- else }}
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "coffeechat.selectorLabels" $ctx | nindent 14 }}
        {{- end }}
      containers:
        - name: {{ $name }}
          image: {{ include "coffeechat.image" (dict "root" $root "name" $name "key" $c.key) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $c.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "coffeechat.fullname" $root }}
          env:
            - name: {{ $c.portVar }}
              value: {{ $c.port | quote }}
            - name: OTEL_SERVICE_NAME
              value: {{ printf "coffeechat-%s" $name | quote }}
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: OTEL_RESOURCE_ATTRIBUTES
              value: {{ printf "service.namespace=%s,service.instance.id=$(POD_NAME),deployment.environment=%s" $root.Values.config.namespace $root.Values.config.environment | quote }}
            {{- if has "amqp" $c.needs }}
            # its own RabbitMQ user, allowed only its own exchanges and queues (docs/security.md)
            {{- include "coffeechat.secretEnv" (dict "root" $root "var" "AMQP_URL" "key" $c.amqpKey "source" $root.Values.rabbitmq) | nindent 12 }}
            {{- end }}
            {{- if has "redis" $c.needs }}
            {{- include "coffeechat.secretEnv" (dict "root" $root "var" "REDIS_URL" "source" $root.Values.redis) | nindent 12 }}
            {{- end }}
            {{- if has "mongo" $c.needs }}
            {{- include "coffeechat.secretEnv" (dict "root" $root "var" "MONGO_URL" "source" $root.Values.mongodb) | nindent 12 }}
            {{- end }}
            {{- if and $c.verifiesTokens (not $root.Values.auth.jwksUrl) }}
            {{- include "coffeechat.secretEnv" (dict "root" $root "var" "JWT_SECRET" "source" $root.Values.auth) | nindent 12 }}
            {{- end }}
            {{- if eq $name "web" }}
            # where the page's browser reaches the services (/config.json and its Content-Security-Policy)
            {{- range $var, $url := include "coffeechat.webUrls" $root | fromYaml }}
            {{- with $url }}
            - name: {{ $var }}
              value: {{ . | quote }}
            {{- end }}
            {{- end }}
            {{- end }}
            {{- range $key, $value := $v.extraEnv }}
            - name: {{ $key }}
              value: {{ $value | toString | quote }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          readinessProbe:
            # 200 only while the broker, store and cache connections are up (SPEC §2)
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          lifecycle:
            preStop:
              # keep serving until the endpoint removal has reached every proxy, then SIGTERM drains
              exec:
                command: ["sleep", {{ $root.Values.shutdown.preStopSleepSeconds | quote }}]
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # the root filesystem is read-only; Node and its libraries may still want a scratch /tmp
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* The ClusterIP Service of one service. */}}
{{- define "coffeechat.service" -}}
{{- $root := .root -}}
{{- $c := include "coffeechat.component" . | fromYaml -}}
{{- $v := index $root.Values $c.key -}}
{{- $ctx := dict "root" $root "name" .name -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "coffeechat.componentName" $ctx }}
  labels:
    {{- include "coffeechat.labels" $ctx | nindent 4 }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "coffeechat.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ $c.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/* The PodDisruptionBudget of one service, when enabled. */}}
{{- define "coffeechat.pdb" -}}
{{- $root := .root -}}
{{- $c := include "coffeechat.component" . | fromYaml -}}
{{- $v := index $root.Values $c.key -}}
{{- $ctx := dict "root" $root "name" .name -}}
{{- if $v.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "coffeechat.componentName" $ctx }}
  labels:
    {{- include "coffeechat.labels" $ctx | nindent 4 }}
spec:
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "coffeechat.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- end -}}
