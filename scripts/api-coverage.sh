#!/usr/bin/env bash
# Prints how many of Logto's Management API operations (from @logto/api's
# published types) Gatehouse implements, by group. APICOVERAGE_MISSING=1
# also lists the operations not implemented yet.
set -euo pipefail
cd "$(dirname "$0")/.."
dts=e2e/js/node_modules/@logto/api/lib/generated-types/management.d.ts
if [ ! -f "$dts" ]; then
  (cd e2e/js && npm ci --no-audit --no-fund >&2)
fi
go run ./tools/apicoverage "$dts"
