#!/usr/bin/env bash
# Debian's Chromium (and a CJK font, so that Chinese renders in screenshots) for the
# browser tests (tests/browser, Playwright). Playwright cannot download its own browser
# here: only the package registries are reachable. Installs with apt-get when missing.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
if ! fc-list 2>/dev/null | grep -qiE "wqy|noto sans cjk|noto serif cjk"; then
  missing+=(fonts-wqy-microhei)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "ensure-browser: ${missing[*]} missing and apt-get is not available; install Chromium yourself (CHROMIUM_PATH=…)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "ensure-browser: installing ${missing[*]} with apt-get (for the browser tests) …"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
echo "ensure-browser: $("$CHROMIUM" --version 2>/dev/null | head -1)"
