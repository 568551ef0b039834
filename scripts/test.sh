#!/usr/bin/env bash
# The whole test suite: static checks, then every Go test (store suite on
# SQLite and PostgreSQL, end-to-end tests with go-oidc and Logto's npm SDK).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
scripts/ensure-chromium.sh
scripts/ensure-nginx.sh
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node and npm are needed for the Logto SDK tests; install Node.js 20+" >&2
  exit 1
fi
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './e2e/js/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 20m "$@" ./...
