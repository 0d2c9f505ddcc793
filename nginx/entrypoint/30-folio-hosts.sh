#!/bin/sh
# Writes the host names nginx answers for: SERVER_NAME without its port, and ACME_DOMAIN when
# set. A request naming any other Host gets 421: the app builds links from SERVER_NAME, and a
# forged Host must not reach it, its logs or its caches at all.
set -eu
out="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}/folio-hosts.conf"
name="${SERVER_NAME:-}"
if [ -z "$name" ]; then
    echo "30-folio-hosts.sh: SERVER_NAME is not set; nginx answers only for the site's host" >&2
    exit 1
fi
case "$name" in
    \[*\]) host="$name" ;;          # [IPv6] without a port
    *:*) host="${name%:*}" ;;       # host:port or [IPv6]:port
    *) host="$name" ;;
esac
host="$(printf '%s' "$host" | tr 'A-Z' 'a-z')"
# ACME_DOMAIN too, when it names another host: the certificate is issued for it, and the CA
# fetches its HTTP-01 challenge by that name.
acme="$(printf '%s' "${ACME_DOMAIN:-}" | tr 'A-Z' 'a-z')"
{
    echo "# From SERVER_NAME=$name (and ACME_DOMAIN=${ACME_DOMAIN:-}) at start."
    echo "map \$host \$folio_known_host {"
    echo "    \"$host\" 1;"
    if [ -n "$acme" ] && [ "$acme" != "$host" ]; then
        echo "    \"$acme\" 1;"
    fi
    echo "    default 0;"
    echo "}"
} > "$out"
