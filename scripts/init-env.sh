#!/usr/bin/env bash
# Writes a first .env from .env.example with freshly generated secrets, for a local stack.
#   scripts/init-env.sh [path, default .env]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-.env}"
if [ -e "$target" ]; then
    echo "$target already exists; leaving it alone" >&2
    exit 0
fi
secret() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
# A local stack: browsed at http://localhost:<HTTP_PORT>, the origin its links are built from.
port="$(sed -n 's/^HTTP_PORT=//p' .env.example)"
sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$(secret 48)|" \
    -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$(secret 24)|" \
    -e "s|^HTTP_PORT=.*|HTTP_PORT=${HTTP_PORT:-$port}|" \
    -e "s|^SERVER_NAME=.*|SERVER_NAME=localhost:${HTTP_PORT:-$port}|" \
    -e "s|^PREFERRED_URL_SCHEME=.*|PREFERRED_URL_SCHEME=http|" \
    .env.example > "$target"
chmod 0600 "$target"
echo "wrote $target with new SECRET_KEY and POSTGRES_PASSWORD for http://localhost:${HTTP_PORT:-$port} (edit it for mail, ports, limits)" >&2
