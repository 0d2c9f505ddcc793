#!/usr/bin/env bash
# Makes sure Debian's Chromium and its matching chromedriver are installed (the browser test
# drives them; nothing is downloaded by Selenium itself). Installs them with apt when root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
apt_install "Chromium and chromedriver are missing" chromium chromium-driver
