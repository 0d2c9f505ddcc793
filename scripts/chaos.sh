#!/usr/bin/env bash
# Chaos suite: start a throwaway stack (compose.yaml + the e2e overlay with its mail sink), then
# break it the way an operator or a bad day would (kill -9, stop, restart) while users work,
# and count what was lost. Prints a table of sent / done / lost / duplicated / 5xx per scenario
# and fails if anything was lost or any 5xx was not a branded page or problem+json.
#   scripts/chaos.sh [scenario ...]      (default: CHAOS_SCENARIOS, else the CI subset)
#   scripts/chaos.sh all                 (every scenario; about 16 minutes on a busy 2-core machine)
# CHAOS_PROJECT names the compose project (default folio-chaos-<pid>); CHAOS_KEEP=1 keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[chaos] %s\n' "$*" >&2; }
. scripts/lib.sh

project="${CHAOS_PROJECT:-folio-chaos-$$}"
throwaway_stack chaos "$project" "${TAG:-chaos}"
cat >> "$env_file" <<ENV
# Every simulated user comes from 127.0.0.1: throttles would count them as one.
RATELIMIT_ENABLED=false
AUTH_RATE_LIMIT=6000r/m
AUTH_RATE_BURST=2000
ENV

load_stack_env

trap 'remove_stack "$?" "${CHAOS_KEEP:-0}" "$workdir" "${compose[@]}"' EXIT
trap 'exit 130' INT TERM

log "building images"
"${compose[@]}" build --quiet
up_throwaway CHAOS
"${UV:-uv}" run --frozen python -m tests.chaos.run "$@"
