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

project="folio-ops-$$"
throwaway_stack ops "$project" ops
if [ -n "${OPS_FILES:-}" ]; then
    log "building the Prometheus, certbot and pebble stand-ins"
    scripts/build-standins.sh >> "$env_file"
fi
if [ -n "${OPS_OVERLAY:-}" ]; then
    # The overlay's own ports and the test CA's files.
    mkdir -p "$workdir/acme"
    {
        read -r prometheus_port pebble_port < <(free_ports 2)
        echo "OPS_PROMETHEUS_PORT=$prometheus_port"
        echo "OPS_PEBBLE_PORT=$pebble_port"
        echo "OPS_ACME_DIR=$workdir/acme"
    } >> "$env_file"
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
load_stack_env
read -r -a extra_files <<< "${OPS_FILES:-} ${OPS_OVERLAY:-}"
for file in "${extra_files[@]}"; do
    compose+=(-f "$file")
done

trap 'remove_stack "$?" "${OPS_KEEP:-0}" "$workdir" "${compose[@]}"' EXIT
trap 'exit 130' INT TERM

log "building images"
"${compose[@]}" build --quiet
up_throwaway E2E
"${compose[@]}" exec -T web flask --app folio_web.wsgi seed >/dev/null
export OPS_WORKDIR="$workdir"
load_stack_env
"${UV:-uv}" run --frozen pytest -p no:cacheprovider "$@"
