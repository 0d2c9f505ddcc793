#!/bin/sh
# Follows the certificate: when certbot renews it (or an operator replaces it), rewrite the
# listen settings and reload nginx. A reload starts new workers with the new certificate while
# the old ones finish their requests, so no connection is dropped.
set -eu
[ -n "${ACME_DOMAIN:-}${TLS_CERTIFICATE:-}" ] || exit 0

state() {
    for file in "${TLS_CERTIFICATE:-/var/lib/folio-acme/live/${ACME_DOMAIN:-}/fullchain.pem}" \
                "${TLS_CERTIFICATE_KEY:-/var/lib/folio-acme/live/${ACME_DOMAIN:-}/privkey.pem}"; do
        real="$(readlink -f "$file" 2>/dev/null || true)"
        printf '%s:%s ' "$real" "$(stat -c %Y:%s "$real" 2>/dev/null || echo missing)"
    done
}

watch() {
    last="$(state)"
    while sleep "${TLS_RELOAD_INTERVAL:-60}"; do
        now="$(state)"
        [ "$now" != "$last" ] || continue
        last="$now"
        echo "folio: the certificate changed; reloading nginx" >&2
        /docker-entrypoint.d/40-folio-listen.sh
        nginx -t -q && nginx -s reload
    done
}

watch </dev/null >/dev/null &
