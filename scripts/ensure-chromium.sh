#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing (needs root).
# Playwright drives it directly; `playwright install` cannot download a browser here.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests" >&2
  exit 0
fi
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
