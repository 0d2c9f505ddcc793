#!/usr/bin/env bash
# Installs the page-quality audit's tools (Lighthouse, axe-core) from npm, at the versions pinned
# in tests/e2e/audit/package-lock.json, with `npm ci`. Node.js and npm come from apt when
# missing and root; Lighthouse drives Debian's chromium (scripts/ensure-chromium.sh).
# package.json overrides third-party-web: a Lighthouse dependency asks for it as `latest`, which
# would move past the lock file and make `npm ci` refuse it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../tests/e2e/audit"
if ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
    apt_install "Node.js and npm are missing" nodejs npm
fi
npm ci --no-audit --no-fund --loglevel=error
