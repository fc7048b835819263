{{/* Name of the release's objects: fullnameOverride, or the release name when it already holds the chart's name. */}}
{{- define "scaler.fullname" -}}
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

{{- define "scaler.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scaler.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scaler.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scaler.labels" -}}
{{ include "scaler.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: otel-gateway-scaler
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "scaler.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "scaler.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where Secrets are mounted in the pod; the server config names files under it. */}}
{{- define "scaler.secretsDir" -}}/etc/otel-gateway-scaler/secrets{{- end -}}
{{- define "scaler.configDir" -}}/etc/otel-gateway-scaler{{- end -}}
{{- define "scaler.tlsDir" -}}/etc/otel-gateway-scaler/tls{{- end -}}

{{/*
Every Secret the pod mounts as files: a list of {volume, secret, key, path} (path is the file the
server config names). One source, so the config's *File paths and the Deployment's volumes agree.
*/}}
{{- define "scaler.secretFiles" -}}
{{- $dir := include "scaler.secretsDir" . -}}
{{- $files := list -}}
{{- range $server, $settings := .Values.prometheus -}}
{{- if $settings -}}
{{- with $settings.bearerTokenSecret -}}
{{- $files = append $files (dict "volume" (printf "prometheus-%s-token" $server) "secret" .name "key" .key "path" (printf "%s/prometheus-%s-token/%s" $dir $server .key)) -}}
{{- end -}}
{{- if and $settings.basicAuth $settings.basicAuth.passwordSecret -}}
{{- with $settings.basicAuth.passwordSecret -}}
{{- $files = append $files (dict "volume" (printf "prometheus-%s-password" $server) "secret" .name "key" .key "path" (printf "%s/prometheus-%s-password/%s" $dir $server .key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.alerts.slack.webhookUrlSecret.name -}}
{{- with .Values.alerts.slack.webhookUrlSecret -}}
{{- $files = append $files (dict "volume" "slack-webhook" "secret" .name "key" .key "path" (printf "%s/slack-webhook/%s" $dir .key)) -}}
{{- end -}}
{{- end -}}
{{- if .Values.http.bearerTokenSecret.name -}}
{{- with .Values.http.bearerTokenSecret -}}
{{- $files = append $files (dict "volume" "dashboard-token" "secret" .name "key" .key "path" (printf "%s/dashboard-token/%s" $dir .key)) -}}
{{- end -}}
{{- end -}}
{{- toJson $files -}}
{{- end -}}

{{/* The server config (docs/configuration.md) the ConfigMap holds. */}}
{{- define "scaler.serverConfig" -}}
{{- $dir := include "scaler.secretsDir" . -}}
{{- $grpc := dict "host" "0.0.0.0" "port" (int .Values.ports.grpc) -}}
{{- if .Values.grpc.tls.enabled -}}
{{- $tlsDir := include "scaler.tlsDir" . -}}
{{- $tls := dict "certFile" (printf "%s/tls.crt" $tlsDir) "keyFile" (printf "%s/tls.key" $tlsDir) -}}
{{- if .Values.grpc.tls.requireClientCertificate -}}
{{- $_ := set $tls "clientCaFile" (printf "%s/ca.crt" $tlsDir) -}}
{{- end -}}
{{- $_ := set $grpc "tls" $tls -}}
{{- end -}}
{{- $http := dict "host" "0.0.0.0" "port" (int .Values.ports.http) -}}
{{- with .Values.http.publicUrl -}}
{{- $_ := set $http "publicUrl" . -}}
{{- end -}}
{{- if .Values.http.bearerTokenSecret.name -}}
{{- $_ := set $http "bearerTokenFile" (printf "%s/dashboard-token/%s" $dir .Values.http.bearerTokenSecret.key) -}}
{{- end -}}
{{- $servers := dict -}}
{{- range $name, $settings := .Values.prometheus -}}
{{- if $settings -}}
{{- $server := omit $settings "bearerTokenSecret" "basicAuth" -}}
{{- with $settings.bearerTokenSecret -}}
{{- $_ := set $server "bearerTokenFile" (printf "%s/prometheus-%s-token/%s" $dir $name .key) -}}
{{- end -}}
{{- with $settings.basicAuth -}}
{{- $auth := omit . "passwordSecret" -}}
{{- with .passwordSecret -}}
{{- $_ := set $auth "passwordFile" (printf "%s/prometheus-%s-password/%s" $dir $name .key) -}}
{{- end -}}
{{- $_ := set $server "basicAuth" $auth -}}
{{- end -}}
{{- $_ := set $servers $name $server -}}
{{- end -}}
{{- end -}}
{{- if not $servers -}}
{{- fail "prometheus must define at least one server (e.g. prometheus.default.url): without one the scaler runs its embedded demo instead of reading gateways" -}}
{{- end -}}
{{- $slack := omit .Values.alerts.slack "webhookUrlSecret" -}}
{{- $alerts := dict "rules" .Values.alerts.rules -}}
{{- if .Values.alerts.slack.webhookUrlSecret.name -}}
{{- /* Every replica shares this config, so each one that sends would send every alert again. */ -}}
{{- if and (gt (int .Values.replicas) 1) (ne .Values.alerts.slack.sender false) -}}
{{- fail (printf "alerts.slack.webhookUrlSecret with replicas: %d would send every Slack alert once per replica: leave webhookUrlSecret empty and route the PrometheusRule (prometheusRule.enabled) through Alertmanager to Slack, or set replicas: 1 (docs/alerts.md, \"More than one replica\")" (int .Values.replicas)) -}}
{{- end -}}
{{- $_ := set $slack "webhookUrlFile" (printf "%s/slack-webhook/%s" $dir .Values.alerts.slack.webhookUrlSecret.key) -}}
{{- $_ := set $alerts "slack" $slack -}}
{{- end -}}
{{- $config := dict "grpc" $grpc "http" $http "prometheus" $servers "targetDefaults" .Values.targetDefaults "advisoryTargets" .Values.advisoryTargets "advisor" .Values.advisor "forecast" .Values.forecast "calendar" .Values.calendar "alerts" $alerts "log" .Values.log -}}
{{- toYaml $config -}}
{{- end -}}

{{- define "scaler.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
