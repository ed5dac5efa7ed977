#!/usr/bin/env bash
# Debian packages the product and its tests need beyond Python (needs root to install):
#   - Pango and DejaVu fonts: WeasyPrint renders the PDF reports with them (Vietnamese
#     diacritics included);
#   - for the tests only (skipped with --runtime): Chromium, which the browser tests
#     drive through Playwright (`playwright install` cannot download a browser here),
#     and R with its survey package, which runs the analysis extract's design.R.
set -euo pipefail
missing=()
ldconfig -p | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi 'DejaVuSans.ttf' || missing+=(fonts-dejavu-core fontconfig)
if [ "${1:-}" != "--runtime" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  Rscript -e 'library(survey)' >/dev/null 2>&1 || missing+=(r-base-core r-cran-survey r-cran-mass)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "missing Debian packages: run 'sudo apt-get install ${missing[*]}'" >&2
  exit 0
fi
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
