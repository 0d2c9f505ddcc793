#!/bin/sh
# Writes how the site listens, after the templates are rendered, and again whenever the
# certificate changes (41-folio-tls-watch.sh):
# - no certificate yet: the whole site on plain HTTP (NGINX_PORT);
# - a certificate (TLS_CERTIFICATE and TLS_CERTIFICATE_KEY, or ACME_DOMAIN's from certbot): the
#   site on NGINX_TLS_PORT with Mozilla's intermediate profile, and plain HTTP answering only
#   ACME challenges and the health check, redirecting the rest to HTTPS (TLS_REDIRECT=false
#   keeps the whole site on plain HTTP as well).
# ACME HTTP-01 challenges are served from /var/www/acme (certbot's webroot) in every case.
set -eu
dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
http_port="${NGINX_PORT:-8080}"
https_port="${NGINX_TLS_PORT:-8443}"

cert="${TLS_CERTIFICATE:-}"
key="${TLS_CERTIFICATE_KEY:-}"
chain=""
tls=off
if [ -n "$cert" ] && [ -n "$key" ]; then
    tls=on  # the operator's own files: nginx refuses to start if they are missing
elif [ -n "${ACME_DOMAIN:-}" ]; then
    live="/var/lib/folio-acme/live/${ACME_DOMAIN}"
    cert="$live/fullchain.pem" key="$live/privkey.pem" chain="$live/chain.pem"
    # Until certbot's first certificate arrives, plain HTTP serves the site and the challenge.
    if [ -r "$cert" ] && [ -r "$key" ]; then tls=on; fi
fi
redirect=off
if [ "$tls" = on ] && [ "${TLS_REDIRECT:-true}" != false ]; then redirect=on; fi

acme_location='location ^~ /.well-known/acme-challenge/ {
    root /var/www/acme;
    default_type text/plain;
    try_files $uri =404;
}'

{
    if [ "$redirect" = off ]; then echo "listen $http_port default_server;"; fi
    if [ "$tls" = on ]; then
        echo "listen $https_port ssl default_server;"
        echo "http2 on;"
        echo "ssl_certificate $cert;"
        echo "ssl_certificate_key $key;"
        echo "include /etc/nginx/folio-tls/intermediate.conf;"
        if [ "${TLS_OCSP_STAPLING:-true}" != false ]; then
            # Only where the certificate names an OCSP responder; nginx skips it otherwise. The
            # responder's name is looked up with folio.conf's resolver: a resolver here would
            # also be the one this server finds web's replicas with, and one that kept answers
            # for 5 minutes sent requests to replicas long gone (502s in a Swarm rolling update).
            echo "ssl_stapling on;"
            echo "ssl_stapling_verify on;"
            if [ -n "$chain" ] && [ -r "$chain" ]; then echo "ssl_trusted_certificate $chain;"; fi
        fi
    fi
    echo "$acme_location"
} > "$dir/folio-listen.inc"

if [ "$redirect" = on ]; then
    suffix=""
    if [ "${TLS_PUBLIC_PORT:-443}" != 443 ]; then suffix=":${TLS_PUBLIC_PORT}"; fi
    cat > "$dir/folio-redirect.conf" <<CONF
# Plain HTTP while TLS is on: ACME challenges, the health check, and a redirect for the rest.
server {
    listen $http_port default_server;
    server_name _;
    $acme_location
    location = /nginx-health {
        access_log off;
        allow 127.0.0.1;
        deny all;
        default_type text/plain;
        return 200 "ok\n";
    }
    location / {
        return 301 https://\$host$suffix\$request_uri;
    }
}
CONF
else
    : > "$dir/folio-redirect.conf"
fi
