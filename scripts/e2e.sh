#!/usr/bin/env bash
# End-to-end tier: build the images, start compose.yaml + compose.e2e.yaml under a project of
# its own on free 127.0.0.1 ports, wait until every service is healthy, run tests/e2e through
# nginx only, and remove the stack with its volumes whatever the outcome.
#   scripts/e2e.sh [pytest args...]
# E2E_KEEP=1 leaves the stack running afterwards and prints how to rerun the tests against it.
# Base images come from PYTHON_IMAGE / NGINX_IMAGE / POSTGRES_IMAGE / REDIS_IMAGE when set.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[e2e] %s\n' "$*" >&2; }
. scripts/lib.sh

command -v docker >/dev/null && docker info >/dev/null 2>&1 \
    || { log "no Docker engine answers; the e2e tier needs one"; exit 1; }
scripts/ensure-chromium.sh

workdir="$(mktemp -d)"
project="${E2E_PROJECT:-folio-e2e-$$}"
mkdir -p "$workdir/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$workdir/tls/key.pem" -out "$workdir/tls/cert.pem" 2>/dev/null
chmod 0644 "$workdir/tls/key.pem"  # read by nginx's unprivileged user; a throwaway key

http_port="$(free_port)"; https_port="$(free_port)"; mail_port="$(free_port)"
cat > "$workdir/e2e.env" <<ENV
SECRET_KEY=$(new_secret 48)
POSTGRES_PASSWORD=$(new_secret 24)
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.13-slim}
NGINX_IMAGE=${NGINX_IMAGE:-nginx:1.26}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:17}
REDIS_IMAGE=${REDIS_IMAGE:-redis:8}
REGISTRY=local
TAG=e2e
REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
HTTP_PORT=$http_port
E2E_HTTPS_PORT=$https_port
E2E_MAIL_PORT=$mail_port
E2E_TLS_DIR=$workdir/tls
EDGE_SUBNET=$(free_subnet)
ENV

# The same values in the environment, where they win over anything make or the shell exported.
set -a; . "$workdir/e2e.env"; set +a

compose=(docker compose -p "$project" --env-file "$workdir/e2e.env" -f compose.yaml -f compose.e2e.yaml)

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        log "failed; last logs of each service:"
        "${compose[@]}" ps -a >&2 || true
        "${compose[@]}" logs --no-color --tail 60 >&2 || true
    fi
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $project; rerun the tests with:"
        printf 'E2E_BASE_URL=%s E2E_HTTP_URL=%s E2E_MAIL_API=%s E2E_CA_FILE=%s E2E_COMPOSE="%s" uv run pytest tests/e2e\n' \
            "${E2E_BASE_URL:-}" "${E2E_HTTP_URL:-}" "${E2E_MAIL_API:-}" "${E2E_CA_FILE:-}" "${E2E_COMPOSE:-}" >&2
        exit "$status"
    fi
    log "removing the stack"
    "${compose[@]}" down -v --remove-orphans --timeout 30 >/dev/null 2>&1 || true
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building images"
"${compose[@]}" build --quiet
scripts/check-image-sizes.sh local e2e
log "starting $project on 127.0.0.1:$http_port (https $https_port)"
started=$(date +%s)
"${compose[@]}" up -d --wait --wait-timeout 180 --quiet-pull
log "healthy after $(( $(date +%s) - started ))s"

export E2E_BASE_URL="https://127.0.0.1:$https_port"
export E2E_HTTP_URL="http://127.0.0.1:$http_port"
export E2E_MAIL_API="http://127.0.0.1:$mail_port"
export E2E_CA_FILE="$workdir/tls/cert.pem"
export E2E_COMPOSE="${compose[*]}"
set +e
"${UV:-uv}" run --frozen pytest tests/e2e -p no:cacheprovider "$@"
