#!/usr/bin/env bash
# Makes sure nginx is installed for the reverse-proxy end-to-end test
# (e2e/proxy_test.go), installing Debian's nginx-light package (or nginx,
# where this Debian has no nginx-light) when it is missing. The test runs
# nginx as a child process on a high loopback port, so only the binary is
# needed; the packaged service is left stopped and disabled. The test fails
# (never skips) without nginx.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "ensure-nginx: installing Debian's nginx" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nginx: apt-get is not available; install nginx so that /usr/sbin/nginx exists" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-nginx: installing needs root; run: sudo $0 (or apt-get install nginx-light)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-nginx: apt-get update" >&2
if ! apt-get update >&2; then
  echo "ensure-nginx: apt-get update failed; cannot install nginx" >&2
  exit 1
fi
package=nginx
if apt-cache show nginx-light >/dev/null 2>&1; then
  package=nginx-light
fi
# policy-rc.d keeps the package's post-install script from starting the
# system nginx on port 80: the test starts its own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  created_policy=1
fi
echo "ensure-nginx: apt-get install -y --no-install-recommends $package" >&2
status=0
apt-get install -y --no-install-recommends "$package" >&2 || status=$?
if [ "$created_policy" -eq 1 ]; then
  rm -f "$policy"
fi
if [ "$status" -ne 0 ]; then
  echo "ensure-nginx: apt-get install $package failed; the reverse-proxy test needs nginx" >&2
  exit 1
fi
if [ ! -x /usr/sbin/nginx ]; then
  echo "ensure-nginx: the $package package is installed but /usr/sbin/nginx is missing" >&2
  exit 1
fi
echo "ensure-nginx: $(/usr/sbin/nginx -v 2>&1) installed" >&2
