#!/usr/bin/env bash
# `make up` and friends: start the stack, wait for the migration, then for every service's health.
#   scripts/up.sh SECONDS docker compose -f compose.yaml ... [-- more up arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
up_and_wait "$@"
