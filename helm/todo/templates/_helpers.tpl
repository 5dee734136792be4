{{/*
Names are not prefixed with the release: the services look up their Dapr
app-ids, component names and the `jwt-secret` Secret by fixed names, so the
chart is installed once per namespace.
*/}}

{{/* The four wasm services, in a fixed order. */}}
{{- define "todo.spinServices" -}}
todo-api recurring notifier audit
{{- end }}

{{/* How the wasm services run: spin (SpinApps, the default) or wasmtime (Deployments). */}}
{{- define "todo.runtime" -}}
{{- $r := .Values.runtime | default "spin" -}}
{{- if not (has $r (list "spin" "wasmtime")) -}}
{{- fail (printf "runtime must be spin or wasmtime, not %q" $r) -}}
{{- end -}}
{{ $r }}
{{- end }}

{{/* The Secret holding the app API token (app-token-secret.yaml). */}}
{{- define "todo.appTokenSecret" -}}
app-api-token
{{- end }}

{{/* The app API token as the APP_API_TOKEN variable of an app container. */}}
{{- define "todo.appTokenEnv" -}}
- name: APP_API_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "todo.appTokenSecret" . }}
      key: token
{{- end }}

{{/* The JWT signing secret as the JWT_SECRET variable of a wasmtime app
container (templates/jwt-secret.yaml; service-kit's auth reads it before
falling back to the secret store). */}}
{{- define "todo.jwtSecretEnv" -}}
- name: JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: jwt-secret
      key: jwt-secret
{{- end }}

{{- define "todo.chart" -}}
{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* Labels on every object; pass a dict with "root" and "component". */}}
{{- define "todo.labels" -}}
helm.sh/chart: {{ include "todo.chart" .root }}
app.kubernetes.io/name: todo
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: todo
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "todo.selectorLabels" -}}
app.kubernetes.io/name: todo
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "todo.serviceAccountName" -}}
{{ .Values.serviceAccount.name }}
{{- end }}

{{/* registry/repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "todo.image" -}}
{{- $ref := printf "%s:%s" .repository (default .root.Chart.AppVersion .tag) -}}
{{- if .root.Values.image.registry -}}
{{ .root.Values.image.registry | trimSuffix "/" }}/{{ $ref }}
{{- else -}}
{{ $ref }}
{{- end -}}
{{- end }}

{{/* The Spin app image of one service: its own override, else the shared one. */}}
{{- define "todo.spinImage" -}}
{{- $svc := index .root.Values.services .name -}}
{{- if $svc.image -}}
{{ $svc.image }}
{{- else -}}
{{ include "todo.image" (dict "root" .root "repository" .root.Values.spinApp.repository "tag" .root.Values.spinApp.tag) }}
{{- end -}}
{{- end }}

{{/*
Sidecar annotations shared by every service (dict: root, appId, appPort).
The app health check mirrors the local stack's daprd flags.
*/}}
{{- define "todo.daprAnnotations" -}}
{{- $d := .root.Values.dapr -}}
dapr.io/enabled: "true"
dapr.io/app-id: {{ .appId | quote }}
dapr.io/app-port: {{ .appPort | quote }}
dapr.io/app-protocol: "http"
dapr.io/app-token-secret: {{ include "todo.appTokenSecret" .root | quote }}
dapr.io/config: {{ $d.configName | quote }}
dapr.io/enable-metrics: "true"
dapr.io/metrics-port: {{ $d.metricsPort | quote }}
dapr.io/log-level: {{ $d.logLevel | quote }}
dapr.io/log-as-json: {{ $d.logAsJson | quote }}
dapr.io/enable-app-health-check: "true"
dapr.io/app-health-check-path: "/healthz"
dapr.io/app-health-probe-interval: {{ $d.appHealthProbeInterval | quote }}
{{- with $d.blockShutdownDuration }}
# A terminating pod's daprd serves its app until the app stops (or this
# long), so requests still in the app find their sidecar.
dapr.io/block-shutdown-duration: {{ . | quote }}
{{- end }}
{{- with $d.sidecar.cpuRequest }}
dapr.io/sidecar-cpu-request: {{ . | quote }}
{{- end }}
{{- with $d.sidecar.memoryRequest }}
dapr.io/sidecar-memory-request: {{ . | quote }}
{{- end }}
{{- with $d.sidecar.memoryLimit }}
dapr.io/sidecar-memory-limit: {{ . | quote }}
{{- end }}
{{- end }}

{{/* A component metadata entry read from a Kubernetes Secret (dict: name, secret, key). */}}
{{- define "todo.secretMetadata" -}}
- name: {{ .name }}
  secretKeyRef:
    name: {{ required (printf "a Secret name for the %s metadata" .name) .secret }}
    key: {{ required (printf "a Secret key for the %s metadata" .name) .key }}
{{- end }}

{{/*
How every Kafka pub/sub component reaches the brokers: addresses, protocol
version, TLS and authentication (none, SASL password or mTLS).
*/}}
{{- define "todo.kafkaConnection" -}}
{{- $k := .Values.kafka -}}
- name: brokers
  value: {{ required "kafka.brokers is required" $k.brokers | quote }}
# Sarama speaks Kafka 2.0 by default; Kafka 4 removed those request versions.
- name: version
  value: {{ required "kafka.version is required" $k.version | quote }}
- name: authType
  value: {{ $k.auth.type | quote }}
{{- if eq $k.auth.type "password" }}
{{ include "todo.secretMetadata" (dict "name" "saslUsername" "secret" $k.auth.sasl.secretName "key" $k.auth.sasl.usernameKey) }}
{{ include "todo.secretMetadata" (dict "name" "saslPassword" "secret" $k.auth.sasl.secretName "key" $k.auth.sasl.passwordKey) }}
- name: saslMechanism
  value: {{ $k.auth.sasl.mechanism | quote }}
{{- else if eq $k.auth.type "mtls" }}
{{ include "todo.secretMetadata" (dict "name" "clientCert" "secret" $k.auth.mtls.secretName "key" $k.auth.mtls.clientCertKey) }}
{{ include "todo.secretMetadata" (dict "name" "clientKey" "secret" $k.auth.mtls.secretName "key" $k.auth.mtls.clientKeyKey) }}
{{- else if ne $k.auth.type "none" }}
{{- fail (printf "kafka.auth.type must be none, password or mtls, not %q" $k.auth.type) }}
{{- end }}
{{- if ne $k.auth.type "none" }}
- name: disableTls
  value: {{ (not $k.tls.enabled) | quote }}
- name: skipVerify
  value: {{ $k.tls.skipVerify | quote }}
{{- with $k.tls.caSecret.name }}
{{ include "todo.secretMetadata" (dict "name" "caCert" "secret" . "key" $k.tls.caSecret.key) }}
{{- end }}
{{- end }}
{{- end }}
