#!/usr/bin/env bash
# Chaos suite: start a throwaway stack (compose.yaml + the e2e overlay with its mail sink), then
# break it the way an operator or a bad day would (kill -9, stop, restart) while users work,
# and count what was lost. Prints a table of sent / done / lost / duplicated / 5xx per scenario
# and fails if anything was lost or any 5xx was not a branded page or problem+json.
#   scripts/chaos.sh [scenario ...]      (default: CHAOS_SCENARIOS, else the CI subset)
#   scripts/chaos.sh all                 (every scenario; about 25 minutes)
# CHAOS_PROJECT names the compose project (default folio-chaos-<pid>); CHAOS_KEEP=1 keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[chaos] %s\n' "$*" >&2; }
. scripts/lib.sh

docker_answers || { log "no Docker engine answers; the chaos suite needs one"; exit 1; }

workdir="$(mktemp -d)"
project="${CHAOS_PROJECT:-folio-chaos-$$}"
mkdir -p "$workdir/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$workdir/tls/key.pem" -out "$workdir/tls/cert.pem" 2>/dev/null
chmod 0644 "$workdir/tls/key.pem"  # read by nginx's unprivileged user; a throwaway key

http_port="$(free_port)"; https_port="$(free_port)"; mail_port="$(free_port)"
cat > "$workdir/chaos.env" <<ENV
SECRET_KEY=$(new_secret 48)
POSTGRES_PASSWORD=$(new_secret 24)
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.13-slim}
NGINX_IMAGE=${NGINX_IMAGE:-nginx:1.26}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:17}
REDIS_IMAGE=${REDIS_IMAGE:-redis:8}
REGISTRY=local
TAG=chaos
REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
HTTP_PORT=$http_port
E2E_HTTPS_PORT=$https_port
E2E_MAIL_PORT=$mail_port
E2E_TLS_DIR=$workdir/tls
EDGE_SUBNET=$(free_subnet)
# Every simulated user comes from 127.0.0.1: throttles would count them as one.
RATELIMIT_ENABLED=false
AUTH_RATE_LIMIT=6000r/m
AUTH_RATE_BURST=2000
ENV

set -a; . "$workdir/chaos.env"; set +a
compose=(docker compose -p "$project" --env-file "$workdir/chaos.env" -f compose.yaml -f compose.e2e.yaml)

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        "${compose[@]}" ps -a >&2 || true
        "${compose[@]}" logs --no-color --tail 40 >&2 || true
    fi
    if [ "${CHAOS_KEEP:-0}" = 1 ]; then
        log "kept $project (env file $workdir/chaos.env)"
        exit "$status"
    fi
    log "removing the stack"
    "${compose[@]}" down -v --remove-orphans --timeout 20 >/dev/null 2>&1 || true
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building images"
"${compose[@]}" build --quiet
log "starting $project on 127.0.0.1:$http_port (https $https_port)"
started=$(date +%s)
"${compose[@]}" up -d --wait --wait-timeout 180 --quiet-pull
log "healthy after $(( $(date +%s) - started ))s"

export CHAOS_BASE_URL="https://127.0.0.1:$https_port"
export CHAOS_MAIL_API="http://127.0.0.1:$mail_port"
export CHAOS_CA_FILE="$workdir/tls/cert.pem"
export CHAOS_COMPOSE="${compose[*]}"
"${UV:-uv}" run --frozen python -m tests.chaos.run "$@"
