#!/usr/bin/env bash
# Builds CoreDNS, the DNS server a cluster answers the gateways' headless Service from, once, into a
# cache outside the repository: the collector tests run it to measure what its record TTL and cache do
# to a scale-in. Go is only a build tool here. Prints the binary's path; a no-op while it exists.
set -euo pipefail

version=v1.12.4
cache_root="${OTEL_GATEWAY_SCALER_CACHE:-$HOME/.cache/otel-gateway-scaler}"
out="$cache_root/coredns-$version"
binary="$out/coredns"

if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "The collector tests need CoreDNS $version, built with Go (>= 1.25)." >&2
  echo "Install Go from https://go.dev/dl/ or 'apt-get install golang', then re-run: bash scripts/coredns-build.sh" >&2
  exit 1
fi
mkdir -p "$out"
echo "Building CoreDNS $version into $out (first build takes minutes)" >&2
GOBIN="$out" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/coredns/coredns@$version" >&2
echo "$binary"
