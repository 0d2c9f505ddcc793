#!/bin/sh
# The acme service (compose.acme.yaml, `make acme`): gets a certificate for ACME_DOMAIN through nginx's webroot
# (HTTP-01), then asks certbot twice a day to renew it (certbot renews within 30 days of
# expiry). nginx notices the new files by itself and reloads (41-folio-tls-watch.sh).
# ACME_SERVER picks another CA's directory URL (default: Let's Encrypt's production).
#   folio-acme.sh            the service's loop
#   folio-acme.sh renew-now  renew at once, whatever the expiry (docker compose exec acme ...)
set -eu
: "${ACME_DOMAIN:?set ACME_DOMAIN to the site's host name}"
: "${ACME_EMAIL:?set ACME_EMAIL for the CA's expiry notices}"
mkdir -p /tmp/certbot
mode="${1:-loop}"
set -- --config-dir /var/lib/folio-acme --work-dir /tmp/certbot/work --logs-dir /tmp/certbot/logs \
    --non-interactive
if [ "$mode" = renew-now ]; then
    exec certbot renew "$@" --force-renewal --no-random-sleep-on-renew
fi
if [ -n "${ACME_SERVER:-}" ]; then set -- "$@" --server "$ACME_SERVER"; fi

while :; do
    if [ ! -e "/var/lib/folio-acme/live/$ACME_DOMAIN/fullchain.pem" ]; then
        certbot certonly "$@" --webroot --webroot-path /var/www/acme --domain "$ACME_DOMAIN" \
            --email "$ACME_EMAIL" --agree-tos --no-eff-email --key-type "${ACME_KEY_TYPE:-ecdsa}" \
            || echo "folio-acme: no certificate yet; trying again in ${ACME_RETRY_INTERVAL:-600}s" >&2
    else
        certbot renew "$@" || echo "folio-acme: renewal failed; the expiry alert will tell" >&2
    fi
    touch /tmp/certbot/checked
    if [ -e "/var/lib/folio-acme/live/$ACME_DOMAIN/fullchain.pem" ]; then
        sleep "${ACME_RENEW_INTERVAL:-43200}"
    else
        sleep "${ACME_RETRY_INTERVAL:-600}"
    fi
done
