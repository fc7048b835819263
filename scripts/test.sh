#!/usr/bin/env bash
# Runs every test: type-check and lint, then vitest (unit tests, integration tests against a real
# Prometheus, browser tests in real Chromium). Installs the Debian packages the tests need when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# A second query engine for the signal catalogue (test/signals/victoria-metrics.integration.test.ts).
command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
# The alert path test (test/alerts/prometheus-rules.integration.test.ts) sends to a real Alertmanager.
[ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages the tests need: ${packages}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages} >/dev/null
  else
    echo "The tests need these Debian packages: ${packages}" >&2
    echo "Install them with: sudo apt-get install -y ${packages}" >&2
    exit 1
  fi
fi

[ -d node_modules ] || npm ci

# The Helm chart tests (test/deploy) run helm; without one on PATH it is built with go into GOPATH/bin.
if [ -z "${HELM:-}" ] && ! command -v helm >/dev/null 2>&1; then
  if ! command -v go >/dev/null 2>&1; then
    echo "The chart tests need helm: install Go, then run: go install helm.sh/helm/v4/cmd/helm@v4.3.2" >&2
    exit 1
  fi
  HELM="$(go env GOPATH)/bin/helm"
  if [ ! -x "$HELM" ]; then
    echo "Building helm v4.3.2 with go for the chart tests"
    go install helm.sh/helm/v4/cmd/helm@v4.3.2
  fi
  export HELM
fi

# The collector tests (test/collector) run a real OpenTelemetry Collector built with the Collector
# Builder, and CoreDNS for a cluster's DNS cache; the first builds take minutes and are cached outside
# the repository afterwards.
bash scripts/collector-build.sh >/dev/null
bash scripts/coredns-build.sh >/dev/null

npm run -s check

mkdir -p artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest.json "$@" || status=$?
# One closing line in the plain "N passed, N failed" form that any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync("artifacts/vitest.json", "utf8"));
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $status
