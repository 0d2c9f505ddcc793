#!/usr/bin/env bash
# Rolling update of a Compose host to another image tag, with nothing dropped:
#   scripts/deploy.sh TAG          (make deploy TAG=...)
#   scripts/deploy.sh --rollback   (make rollback: back to the tag deployed before this one)
#
# 1. migrations of the new tag run first (one-shot); they must be expand-only, so the running
#    code keeps working on the new schema (docs/scale-out.md, tests/unit/test_migrations_expand_only.py);
# 2. web and worker: as many new replicas as there are old ones start beside them, and only once
#    every new one is healthy do the old ones stop: Gunicorn finishes its requests, Celery its
#    tasks (warm shutdown). nginx sends no request to a replica that is not listening: it finds
#    replicas through Docker's DNS and tries the next one on a refused connection;
# 3. beat (exactly one) is replaced, and nginx too but only when its files changed (the one step
#    that costs a reconnect of about a second on one host; docs/scale-out.md).
# A new replica that does not turn healthy in DEPLOY_WAIT seconds aborts the deploy: the new ones
# are removed and the old ones keep serving. Tags deployed are appended to DEPLOY_HISTORY.
#
# Environment: COMPOSE_CMD (default "docker compose -f compose.yaml"), DEPLOY_WAIT (180),
# DEPLOY_HISTORY (.deploy-history). Images are pulled first unless REGISTRY is "local".
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
read -r -a compose <<< "${COMPOSE_CMD:-docker compose -f compose.yaml}"
history="${DEPLOY_HISTORY:-.deploy-history}"
wait_s="${DEPLOY_WAIT:-180}"

running_tag() {
    local id
    id="$("${compose[@]}" ps -q web | head -n 1)"
    [ -n "$id" ] || return 0
    docker inspect -f '{{.Config.Image}}' "$id" | sed 's/.*://'
}

case "${1:-}" in
    "" | -h | --help)
        sed -n '2,20p' "$0" >&2; exit 2 ;;
    --rollback)
        [ -f "$history" ] && [ "$(wc -l < "$history")" -ge 2 ] \
            || { log "no earlier deploy recorded in $history"; exit 1; }
        new="$(tail -n 2 "$history" | head -n 1)"
        rollback=1 ;;
    *)
        new="$1"; rollback=0 ;;
esac

current="$(running_tag)"
[ -n "$current" ] || { log "web is not running: start the stack first (make up)"; exit 1; }
if [ ! -s "$history" ]; then echo "$current" > "$history"; fi
log "$current -> $new"
export TAG="$new"

# Read whole before matching: with pipefail, `grep -q` leaving early can fail the pipe (SIGPIPE)
# and send a local deployment to a registry.
images="$("${compose[@]}" config --images)"
if ! grep -q '^local/folio-web:' <<< "$images"; then
    log "pulling $new"
    "${compose[@]}" pull --quiet web worker nginx migrate
fi

if [ "$rollback" = 0 ]; then
    log "migrations of $new"
    "${compose[@]}" run --rm -T --no-deps migrate
else
    # The schema stays as the newer release left it: expand-only migrations keep it readable by
    # the older code, and nothing is ever downgraded automatically.
    log "rollback: the schema is left as it is"
fi

# Ids of a service's containers that are running, one per line.
containers() { "${compose[@]}" ps -q "$1"; }

healthy() {
    [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1")" \
        = healthy ]
}

roll() {
    local service="$1" old=() new_ids=() count deadline id
    mapfile -t old < <(containers "$service")
    count="${#old[@]}"
    [ "$count" -ge 1 ] || count=1
    log "$service: starting $count new beside the $count running"
    "${compose[@]}" up -d --no-deps --no-recreate --scale "$service=$((count * 2))" "$service"
    mapfile -t new_ids < <(containers "$service" | grep -vxF -f <(printf '%s\n' "${old[@]}") || true)
    deadline=$(( $(date +%s) + wait_s ))
    for id in "${new_ids[@]}"; do
        until healthy "$id"; do
            if [ "$(date +%s)" -ge "$deadline" ] || [ "$(docker inspect -f '{{.State.Status}}' "$id")" = exited ]; then
                log "$service: a new replica did not turn healthy; removing the new ones, the old keep serving"
                docker logs --tail 30 "$id" >&2 || true
                docker rm -f "${new_ids[@]}" >/dev/null
                exit 1
            fi
            sleep 1
        done
    done
    log "$service: new replicas healthy; stopping the old ones"
    for id in "${old[@]}"; do
        # The container's own stop_grace_period applies: requests and tasks finish first.
        docker stop "$id" >/dev/null
        docker rm "$id" >/dev/null
    done
}

roll web
roll worker

log "beat: replacing the one scheduler"
"${compose[@]}" up -d --no-deps beat

# nginx's image differs per tag even when nothing in it did (labels, timestamps): compare the
# files it serves and its configuration instead.
nginx_files() {
    docker run --rm --network none --read-only --entrypoint sh "$1" -c \
        'find /etc/nginx /usr/share/nginx/folio /docker-entrypoint.d -type f | sort | xargs sha256sum; env | grep -v ^HOSTNAME= | sort' \
        | sha256sum
}
nginx_id="$(containers nginx | head -n 1)"
new_nginx="$("${compose[@]}" config --images | grep '/folio-nginx:' | head -n 1)"
if [ -n "$nginx_id" ] && [ "$(nginx_files "$(docker inspect -f '{{.Image}}' "$nginx_id")")" != "$(nginx_files "$new_nginx")" ]; then
    log "nginx: its files changed; replacing it (new connections wait about a second)"
    "${compose[@]}" up -d --no-deps --wait nginx
else
    log "nginx: same files and settings; left running"
fi

echo "$new" >> "$history"
log "now on $new"
