#!/usr/bin/env bash
# Operations tier: a throwaway stack like the e2e tier's (compose.yaml + compose.e2e.yaml, free
# 127.0.0.1 ports, TLS, an SMTP sink), with OPS_OVERLAY (e.g. tests/ops/compose.ops.yaml: the
# ACME test CA) after OPS_FILES (compose.monitoring.yaml, compose.acme.yaml), then pytest on the given paths;
# `down -v` whatever the outcome.
#   scripts/ops-test.sh tests/ops/test_restore_drill.py
#   OPS_FILES="compose.monitoring.yaml compose.acme.yaml" OPS_OVERLAY=tests/ops/compose.ops.yaml \
#     scripts/ops-test.sh tests/ops
# Base images come from PYTHON_IMAGE / NGINX_IMAGE / POSTGRES_IMAGE / REDIS_IMAGE when set.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[ops] %s\n' "$*" >&2; }
. scripts/lib.sh

docker_answers || { log "no Docker engine answers; the operations tier needs one"; exit 1; }

workdir="$(mktemp -d)"
project="folio-ops-$$"
throwaway_env "$workdir" ops > "$workdir/ops.env"
if [ -n "${OPS_FILES:-}" ]; then
    log "building the Prometheus, certbot and pebble stand-ins"
    scripts/build-standins.sh >> "$workdir/ops.env"
fi
if [ -n "${OPS_OVERLAY:-}" ]; then
    # The overlay's own ports and the test CA's files.
    mkdir -p "$workdir/acme"
    {
        read -r prometheus_port pebble_port < <(free_ports 2)
        echo "OPS_PROMETHEUS_PORT=$prometheus_port"
        echo "OPS_PEBBLE_PORT=$pebble_port"
        echo "OPS_ACME_DIR=$workdir/acme"
    } >> "$workdir/ops.env"
    # pebble's own HTTPS (its ACME API) needs a certificate; certbot trusts this throwaway CA.
    acme="$workdir/acme"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=folio ops test CA" \
        -keyout "$acme/ca-key.pem" -out "$acme/pebble-ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=pebble" -keyout "$acme/pebble-key.pem" \
        -out "$acme/pebble.csr" 2>/dev/null
    printf 'subjectAltName=DNS:pebble,DNS:localhost,IP:127.0.0.1\n' > "$acme/san.ext"
    openssl x509 -req -in "$acme/pebble.csr" -CA "$acme/pebble-ca.pem" -CAkey "$acme/ca-key.pem" \
        -CAcreateserial -days 2 -extfile "$acme/san.ext" -out "$acme/pebble-cert.pem" 2>/dev/null
    chmod 0644 "$acme"/*.pem  # read by pebble's unprivileged user; throwaway keys
    cat > "$acme/pebble.json" <<JSON
{"pebble": {"listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
 "certificate": "/test/pebble-cert.pem", "privateKey": "/test/pebble-key.pem",
 "httpPort": 8080, "tlsPort": 8443, "ocspResponderURL": "",
 "externalAccountBindingRequired": false}}
JSON
fi
set -a; . "$workdir/ops.env"; set +a

# The app services read their settings from the same file (compose.yaml, env_file).
export FOLIO_ENV_FILE="$workdir/ops.env"
compose=(docker compose -p "$project" --env-file "$workdir/ops.env" -f compose.yaml
         -f compose.mail.yaml -f compose.e2e.yaml)
read -r -a extra_files <<< "${OPS_FILES:-} ${OPS_OVERLAY:-}"
for file in "${extra_files[@]}"; do
    compose+=(-f "$file")
done

trap 'remove_stack "$?" "${OPS_KEEP:-0}" "$workdir" "${compose[@]}"' EXIT
trap 'exit 130' INT TERM

log "building images"
"${compose[@]}" build --quiet
started=$(date +%s)
up_on_free_subnet "$workdir/ops.env" "${compose[@]}"
log "healthy after $(( $(date +%s) - started ))s"
"${compose[@]}" exec -T web flask --app folio_web.wsgi seed >/dev/null

export E2E_BASE_URL="https://127.0.0.1:$https_port"
export E2E_HTTP_URL="http://127.0.0.1:$http_port"
export E2E_MAIL_API="http://127.0.0.1:$mail_port"
export E2E_CA_FILE="$workdir/tls/cert.pem"
export E2E_COMPOSE="${compose[*]}"
export OPS_WORKDIR="$workdir"
set -a; . "$workdir/ops.env"; set +a
"${UV:-uv}" run --frozen pytest -p no:cacheprovider "$@"
