#!/usr/bin/env bash
# Makes sure headless Chromium is installed at /usr/bin/chromium for the
# browser tests (e2e/browser_test.go), with a font that draws Chinese and
# Japanese (the sign-in page's languages), installing Debian's chromium and
# fonts-wqy-zenhei packages when they are missing. The browser tests fail
# (never skip) without Chromium.
set -euo pipefail
chromium=/usr/bin/chromium
cjk_font=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
if [ -x "$chromium" ] && [ -e "$cjk_font" ]; then
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium and fonts-wqy-zenhei packages" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: apt-get is not available; install Chromium so that $chromium exists" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: installing needs root; run: sudo $0 (or apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: apt-get update" >&2
if ! apt-get update >&2; then
  echo "ensure-chromium: apt-get update failed; cannot install chromium" >&2
  exit 1
fi
echo "ensure-chromium: apt-get install -y --no-install-recommends chromium fonts-wqy-zenhei" >&2
if ! apt-get install -y --no-install-recommends chromium fonts-wqy-zenhei >&2; then
  echo "ensure-chromium: apt-get install chromium failed; the browser tests need $chromium" >&2
  exit 1
fi
if [ ! -x "$chromium" ]; then
  echo "ensure-chromium: the chromium package is installed but $chromium is missing" >&2
  exit 1
fi
echo "ensure-chromium: $("$chromium" --version 2>/dev/null || echo "$chromium") installed" >&2
