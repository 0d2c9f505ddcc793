#!/usr/bin/env bash
# Operations tier: a throwaway stack like the e2e tier's (compose.yaml + compose.e2e.yaml, free
# 127.0.0.1 ports, TLS, an SMTP sink) plus tests/ops/compose.ops.yaml (the ACME test CA, the
# monitoring profile), then pytest on the given paths; `down -v` whatever the outcome.
#   scripts/ops-test.sh tests/ops/test_restore_drill.py
# Base images come from PYTHON_IMAGE / NGINX_IMAGE / POSTGRES_IMAGE / REDIS_IMAGE when set.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[ops] %s\n' "$*" >&2; }
. scripts/lib.sh

command -v docker >/dev/null && docker info >/dev/null 2>&1 \
    || { log "no Docker engine answers; the operations tier needs one"; exit 1; }

workdir="$(mktemp -d)"
project="folio-ops-$$"
mkdir -p "$workdir/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$workdir/tls/key.pem" -out "$workdir/tls/cert.pem" 2>/dev/null
chmod 0644 "$workdir/tls/key.pem"  # read by nginx's unprivileged user; a throwaway key

http_port="$(free_port)"; https_port="$(free_port)"; mail_port="$(free_port)"
cat > "$workdir/ops.env" <<ENV
SECRET_KEY=$(new_secret 48)
POSTGRES_PASSWORD=$(new_secret 24)
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.13-slim}
NGINX_IMAGE=${NGINX_IMAGE:-nginx:1.26}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:17}
REDIS_IMAGE=${REDIS_IMAGE:-redis:8}
REGISTRY=local
TAG=ops
REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
HTTP_PORT=$http_port
E2E_HTTPS_PORT=$https_port
E2E_MAIL_PORT=$mail_port
E2E_TLS_DIR=$workdir/tls
EDGE_SUBNET=$(free_subnet)
ENV
set -a; . "$workdir/ops.env"; set +a

compose=(docker compose -p "$project" --env-file "$workdir/ops.env" -f compose.yaml
         -f compose.e2e.yaml ${OPS_OVERLAY:+-f "$OPS_OVERLAY"})

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        log "failed; last logs of each service:"
        "${compose[@]}" ps -a >&2 || true
        "${compose[@]}" logs --no-color --tail 40 >&2 || true
    fi
    if [ "${OPS_KEEP:-0}" = 1 ]; then
        log "kept $project (remove it with: ${compose[*]} down -v)"
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
started=$(date +%s)
"${compose[@]}" up -d --wait --wait-timeout 180 --quiet-pull
log "healthy after $(( $(date +%s) - started ))s"
"${compose[@]}" exec -T web flask --app folio_web.wsgi seed >/dev/null

export E2E_BASE_URL="https://127.0.0.1:$https_port"
export E2E_HTTP_URL="http://127.0.0.1:$http_port"
export E2E_MAIL_API="http://127.0.0.1:$mail_port"
export E2E_CA_FILE="$workdir/tls/cert.pem"
export E2E_COMPOSE="${compose[*]}"
export OPS_WORKDIR="$workdir"
"${UV:-uv}" run --frozen pytest -p no:cacheprovider "$@"
