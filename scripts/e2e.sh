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

scripts/ensure-chromium.sh
scripts/ensure-audit-tools.sh  # Lighthouse and axe-core for test_page_quality.py
project="${E2E_PROJECT:-folio-e2e-$$}"  # E2E_PROJECT names it, e.g. per concurrent checkout
# Images are tagged after the project (E2E_TAG overrides): with one shared tag, a concurrent
# checkout's build could replace the images between this build and this start.
tag="${E2E_TAG:-$project}"
throwaway_stack e2e "$project" "$tag"
# Every test's new author registers from 127.0.0.1: one address for the whole suite.
echo 'REGISTRATION_LIMIT="200 per hour"' >> "$env_file"
# ...and signs in from it, through nginx's log-in limit: a burst the suite's sign-ins fit under
# (test_rate_limit.py still floods it past this).
echo 'AUTH_RATE_BURST=30' >> "$env_file"
load_stack_env

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
up_throwaway E2E
set +e
"${UV:-uv}" run --frozen pytest tests/e2e -p no:cacheprovider "$@"
