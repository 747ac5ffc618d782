#!/usr/bin/env bash
# Browser end-to-end tests of the workstation, as .ci/run calls them.
# Needs Node.js 20+, Debian's chromium at /usr/bin/chromium (or $CHROMIUM)
# and Go. Builds tracemark, installs playwright-core (npm ci; it never
# downloads a browser) and runs the tests. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd .. && pwd)"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "e2e: ${CHROMIUM:-/usr/bin/chromium} not found; install Debian's chromium (apt-get install -y chromium)" >&2
  exit 1
fi
bin="${TRACEMARK_BIN:-}"
if [ -z "$bin" ]; then
  bin="$(mktemp -d)/tracemark"
  (cd "$root" && go build -o "$bin" ./cmd/tracemark)
fi
# The committed bundle must be what web/src builds to (esbuild is deterministic).
if [ "${E2E_CHECK_BUNDLE:-1}" = 1 ]; then
  (cd "$root/web" && npm ci --no-audit --no-fund)
  fresh="$(mktemp -d)/dist"
  (cd "$root/internal/web" && go run ./gen -src ../../web -out "$fresh")
  if ! diff -r "$fresh" "$root/internal/web/dist" >/dev/null; then
    echo "e2e: internal/web/dist is stale; run 'go generate ./internal/web' and commit it" >&2
    exit 1
  fi
fi
npm ci --no-audit --no-fund
TRACEMARK_BIN="$bin" node --test --test-concurrency=1 --test-reporter=spec tests/
