#!/usr/bin/env bash
# Builds the test collector distribution (test/collector/builder-config.yaml) with the OpenTelemetry
# Collector Builder, once, into a cache outside the repository. Go is only a build tool here.
# Prints the binary's path. Re-running is a no-op while the binary exists for this manifest.
set -euo pipefail
cd "$(dirname "$0")/.."

manifest=test/collector/builder-config.yaml
release=$(sed -n 's/^  version: *//p' "$manifest" | head -1)
cache_root="${OTEL_GATEWAY_SCALER_CACHE:-$HOME/.cache/otel-gateway-scaler}"
out="$cache_root/otelcol-$release"
binary="$out/otelcol-gateway-test"
stamp="$out/manifest.sha256"
want=$(sha256sum "$manifest" | cut -d' ' -f1)

if [ -x "$binary" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$binary"
  exit 0
fi

builder_version="v$release"
builder="${OCB:-$(command -v builder || true)}"
[ -n "$builder" ] || builder="$HOME/go/bin/builder"
[ -x "$builder" ] || builder="$cache_root/bin/builder"
installed_version=$([ -x "$builder" ] && "$builder" version 2>&1 || true)
if [[ "$installed_version" != *"$builder_version"* ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "Building the test collector needs Go (>= 1.25) and the Collector Builder $builder_version." >&2
    echo "Install Go from https://go.dev/dl/ or 'apt-get install golang', then re-run npm run collector:build." >&2
    exit 1
  fi
  echo "Installing the OpenTelemetry Collector Builder $builder_version" >&2
  GOBIN="$cache_root/bin" go install "go.opentelemetry.io/collector/cmd/builder@$builder_version"
  builder="$cache_root/bin/builder"
fi

mkdir -p "$out"
echo "Building the test collector $release into $out (first build takes minutes)" >&2
# -trimpath keeps the binary independent of where the cache lives; the Go caches persist between builds.
GOFLAGS="${GOFLAGS:-} -trimpath" "$builder" --config="$manifest" --output-path="$out/src" >&2
cp "$out/src/otelcol-gateway-test" "$binary"
echo "$want" >"$stamp"
echo "$binary"
