#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests use answers on 127.0.0.1:5432,
# starting the machine's cluster when it is installed but stopped. Tests
# fail (never skip) when it cannot be reached.
set -euo pipefail
url="${GATEHOUSE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
if [ "${GATEHOUSE_SKIP_POSTGRES:-}" = 1 ]; then
  echo "GATEHOUSE_SKIP_POSTGRES=1: PostgreSQL tests will be skipped" >&2
  exit 0
fi
ready() { pg_isready -q -d "$url" 2>/dev/null; }
if ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    echo "starting PostgreSQL $version" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 30); do
  if ready; then exit 0; fi
  sleep 1
done
echo "PostgreSQL is not reachable at $url; the PostgreSQL tests will fail" >&2
exit 1
