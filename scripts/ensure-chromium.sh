#!/usr/bin/env bash
# Makes sure Debian's Chromium and its matching chromedriver are installed (the browser test
# drives them; nothing is downloaded by Selenium itself). Installs them with apt when root.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "Chromium and chromedriver are missing: install Debian's chromium and chromium-driver" >&2
    exit 1
fi
echo "installing chromium and chromium-driver with apt" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
