#!/bin/sh
# Writes the site's listen directives after the templates are rendered: plain HTTP always, and
# HTTPS as well when TLS_CERTIFICATE and TLS_CERTIFICATE_KEY name a certificate and its key.
set -eu
out="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}/folio-listen.inc"
{
    echo "listen ${NGINX_PORT:-8080} default_server;"
    if [ -n "${TLS_CERTIFICATE:-}" ] && [ -n "${TLS_CERTIFICATE_KEY:-}" ]; then
        echo "listen ${NGINX_TLS_PORT:-8443} ssl default_server;"
        echo "http2 on;"
        echo "ssl_certificate ${TLS_CERTIFICATE};"
        echo "ssl_certificate_key ${TLS_CERTIFICATE_KEY};"
        echo "ssl_protocols TLSv1.2 TLSv1.3;"
        echo "ssl_session_cache shared:folio_tls:10m;"
        echo "ssl_session_timeout 1d;"
    fi
} > "$out"
