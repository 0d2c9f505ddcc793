#!/usr/bin/env bash
# `make up` as a newcomer meets it: a fresh clone of the committed tree in a temporary folder,
# `make up` there on free 127.0.0.1 ports under a project of its own, then
# tests/e2e/test_first_run.py follows the two URLs it printed (register, open the mail catcher,
# click the confirmation link). The stack and the clone are removed whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
log() { printf '[up-test] %s\n' "$*" >&2; }

work="$(mktemp -d)"
# UP_TEST_PROJECT names the compose project, e.g. per concurrent checkout.
export COMPOSE_PROJECT_NAME="${UP_TEST_PROJECT:-folio-uptest-$$}"
read -r HTTP_PORT MAILPIT_PORT < <(free_ports 2); EDGE_SUBNET="$(free_subnet)"
export HTTP_PORT MAILPIT_PORT EDGE_SUBNET
git clone -q --no-hardlinks . "$work/folio"

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        (cd "$work/folio" && docker compose -f compose.yaml -f compose.mail.yaml logs --no-color --tail 40 >&2) || true
    fi
    (cd "$work/folio" && docker compose -f compose.yaml -f compose.mail.yaml down -v --remove-orphans --timeout 20 >/dev/null 2>&1) || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "make up in a fresh clone ($COMPOSE_PROJECT_NAME, http $HTTP_PORT, mail $MAILPIT_PORT)"
make --no-print-directory -C "$work/folio" up 2>&1 | tee "$work/up.log"
site="$(sed -n 's/^Folio is up: //p' "$work/up.log")"
mail="$(sed -n 's/^Mail it sends[^:]*: //p' "$work/up.log")"
[ -n "$site" ] && [ -n "$mail" ] || { log "make up printed no URLs"; exit 1; }
log "following $site and $mail"
E2E_BASE_URL="$site" E2E_MAIL_API="$mail" \
    "${UV:-uv}" run --frozen pytest tests/e2e/test_first_run.py -p no:cacheprovider -q
