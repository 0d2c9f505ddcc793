#!/usr/bin/env bash
# Proves the pull-only deployment: pushes Folio's images (and the database and Redis images)
# to a throwaway registry on 127.0.0.1 (Debian's docker-registry), then starts the stack in an
# empty directory holding nothing but compose.yaml and a .env, pulling every image from there.
# Everything it made is removed at the end.
#   scripts/registry-test.sh        (REGISTRY_PORT=5000 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
log() { printf '[registry-test] %s\n' "$*" >&2; }

if ! command -v docker-registry >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        log "installing Debian's docker-registry"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
    else
        log "needs Debian's docker-registry package"; exit 1
    fi
fi

port="${REGISTRY_PORT:-5000}"
namespace="127.0.0.1:$port/folio"
tag="$(git rev-parse --short HEAD)"
work="$(mktemp -d)"
project="folio-pull-$$"
registry_pid=""

cleanup() {
    local status=$?
    if [ -f "$work/deploy/compose.yaml" ]; then
        [ "$status" -eq 0 ] || (cd "$work/deploy" && docker compose logs --no-color --tail 40 >&2) || true
        (cd "$work/deploy" && docker compose down -v --remove-orphans -t 20 >/dev/null 2>&1) || true
    fi
    [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
    docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$namespace/" \
        | xargs -r docker rmi -f >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

cat > "$work/registry.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$work/registry.log" >&2; exit 1; }
log "registry on 127.0.0.1:$port"

log "make push REGISTRY=$namespace TAG=$tag VERSION_TAG=v-test"
make --no-print-directory push REGISTRY="$namespace" TAG="$tag" VERSION_TAG=v-test >"$work/push.log" 2>&1 \
    || { tail -30 "$work/push.log" >&2; exit 1; }
# The deployment host pulls its database and Redis images from a registry too.
docker tag "${POSTGRES_IMAGE:-postgres:17}" "$namespace/postgres:17"
docker tag "${REDIS_IMAGE:-redis:8}" "$namespace/redis:8"
docker push -q "$namespace/postgres:17" >/dev/null
docker push -q "$namespace/redis:8" >/dev/null
# Nothing of what was pushed stays in the local image store: the deployment must pull it.
docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$namespace/" | xargs -r docker rmi >/dev/null

mkdir -p "$work/deploy"
cp compose.yaml "$work/deploy/"
http_port="$(free_port)"
cat > "$work/deploy/.env" <<ENV
COMPOSE_PROJECT_NAME=$project
REGISTRY=$namespace
TAG=$tag
POSTGRES_IMAGE=$namespace/postgres:17
REDIS_IMAGE=$namespace/redis:8
SECRET_KEY=$(new_secret 48)
POSTGRES_PASSWORD=$(new_secret 24)
HTTP_PORT=$http_port
SERVER_NAME=127.0.0.1:$http_port
PREFERRED_URL_SCHEME=http
EDGE_SUBNET=$(free_subnet)
ENV

cd "$work/deploy"
# As on a fresh host: only the .env speaks (variables in the shell would override it).
unset REGISTRY TAG REVISION VERSION_TAG PYTHON_IMAGE NGINX_IMAGE POSTGRES_IMAGE REDIS_IMAGE \
    COMPOSE_PROJECT_NAME COMPOSE_FILE HTTP_PORT EDGE_SUBNET SERVER_NAME PREFERRED_URL_SCHEME
log "in $(pwd) (only $(find . -mindepth 1 -maxdepth 1 -printf '%f ')): docker compose pull && docker compose up -d --wait"
docker compose pull --quiet
started=$(date +%s)
docker compose up -d --wait --wait-timeout 180
log "healthy after $(( $(date +%s) - started ))s"
curl -fsS "http://127.0.0.1:$http_port/readyz"; echo
curl -fsS -o /dev/null "http://127.0.0.1:$http_port/"
log "rolling back to the version tag"
sed -i "s/^TAG=.*/TAG=v-test/" .env
docker compose pull --quiet web worker beat migrate nginx
docker compose up -d --wait --wait-timeout 180
curl -fsS "http://127.0.0.1:$http_port/readyz"; echo
log "pull-only deployment works"
