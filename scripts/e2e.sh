#!/usr/bin/env bash
# End-to-end tier: build the images, start compose.yaml + compose.mail.yaml + compose.e2e.yaml under a project of
# its own on free 127.0.0.1 ports, wait until every service is healthy, run tests/e2e through
# nginx only, and remove the stack with its volumes whatever the outcome.
#   scripts/e2e.sh [pytest args...]
# E2E_KEEP=1 leaves the stack running afterwards and prints how to rerun the tests against it.
# Base images come from PYTHON_IMAGE / NGINX_IMAGE / POSTGRES_IMAGE / REDIS_IMAGE when set.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[e2e] %s\n' "$*" >&2; }
. scripts/lib.sh

docker_answers || { log "no Docker engine answers; the e2e tier needs one"; exit 1; }
scripts/ensure-chromium.sh
scripts/ensure-audit-tools.sh  # Lighthouse and axe-core for test_page_quality.py

workdir="$(mktemp -d)"
project="${E2E_PROJECT:-folio-e2e-$$}"  # E2E_PROJECT names it, e.g. per concurrent checkout
# Images are tagged after the project (E2E_TAG overrides): with one shared tag, a concurrent
# checkout's build could replace the images between this build and this start.
tag="${E2E_TAG:-$project}"
throwaway_env "$workdir" "$tag" > "$workdir/e2e.env"
# Every test's new author registers from 127.0.0.1: one address for the whole suite.
echo 'REGISTRATION_LIMIT="200 per hour"' >> "$workdir/e2e.env"
# ...and signs in from it, through nginx's log-in limit: a burst the suite's sign-ins fit under
# (test_rate_limit.py still floods it past this).
echo 'AUTH_RATE_BURST=30' >> "$workdir/e2e.env"

# The same values in the environment, where they win over anything make or the shell exported.
set -a
# shellcheck source=/dev/null
. "$workdir/e2e.env"
set +a

# The app services read their settings from the same file (compose.yaml, env_file).
export FOLIO_ENV_FILE="$workdir/e2e.env"
compose=(docker compose -p "$project" --env-file "$workdir/e2e.env" -f compose.yaml -f compose.mail.yaml -f compose.e2e.yaml)

cleanup() {
    local status=$?
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "rerun the tests against the kept stack with:"
        printf 'E2E_BASE_URL=%s E2E_HTTP_URL=%s E2E_MAIL_API=%s E2E_CA_FILE=%s E2E_COMPOSE="%s" uv run pytest tests/e2e\n' \
            "${E2E_BASE_URL:-}" "${E2E_HTTP_URL:-}" "${E2E_MAIL_API:-}" "${E2E_CA_FILE:-}" "${E2E_COMPOSE:-}" >&2
    fi
    remove_stack "$status" "${E2E_KEEP:-0}" "$workdir" "${compose[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building images"
"${compose[@]}" build --quiet
scripts/check-image-sizes.sh local "$tag"
log "starting $project on 127.0.0.1:$http_port (https $https_port)"
started=$(date +%s)
up_on_free_subnet "$workdir/e2e.env" "${compose[@]}"
log "healthy after $(( $(date +%s) - started ))s"

export E2E_BASE_URL="https://127.0.0.1:$https_port"
export E2E_HTTP_URL="http://127.0.0.1:$http_port"
export E2E_MAIL_API="http://127.0.0.1:$mail_port"
export E2E_CA_FILE="$workdir/tls/cert.pem"
export E2E_COMPOSE="${compose[*]}"
set +e
"${UV:-uv}" run --frozen pytest tests/e2e -p no:cacheprovider "$@"
