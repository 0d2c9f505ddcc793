#!/usr/bin/env bash
# Rollout tier: builds the images twice (tags A and B: the same tree, other image ids), starts
# compose.yaml with `--scale web=3 --scale worker=2` under a project of its own on free
# 127.0.0.1 ports, HTTPS with a throwaway certificate as in production (compose.e2e.yaml's
# nginx settings), runs tests/rollout (every replica serves; `make deploy` A -> B and
# `make rollback` under a steady load drop nothing), and removes the stack, its volumes and the
# two tags whatever the outcome.
#   scripts/rollout-test.sh [pytest args...]      (ROLLOUT_PROJECT names the project)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
log() { printf '[rollout-test] %s\n' "$*" >&2; }

docker_answers || { log "no Docker engine answers; this tier needs one"; exit 1; }

project="${ROLLOUT_PROJECT:-folio-rollout-$$}"
workdir="$(mktemp -d)"
tag_a="$project-a"
tag_b="$project-b"
read -r http_port https_port < <(free_ports 2)
throwaway_certificate "$workdir/tls"
base_env "$tag_a" > "$workdir/env"
cat >> "$workdir/env" <<ENV
HTTP_PORT=$http_port
E2E_HTTPS_PORT=$https_port
E2E_TLS_DIR=$workdir/tls
SERVER_NAME=127.0.0.1:$https_port
MAIL_BACKEND=console
ENV
set -a; . "$workdir/env"; set +a
# The app services read their settings from the same file (compose.yaml, env_file).
export FOLIO_ENV_FILE="$workdir/env"
compose=(docker compose -p "$project" --env-file "$workdir/env" -f compose.yaml -f compose.e2e.yaml)

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        "${compose[@]}" ps -a >&2 || true
        "${compose[@]}" logs --no-color --tail 40 >&2 || true
    fi
    log "removing the stack and the tags $tag_a, $tag_b"
    "${compose[@]}" down -v --remove-orphans --timeout 30 >/dev/null 2>&1 || true
    for image in folio-web folio-worker folio-nginx folio-backup; do
        docker image rm "local/$image:$tag_a" "local/$image:$tag_b" >/dev/null 2>&1 || true
    done
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building $tag_a and $tag_b"
REVISION="$tag_a" "${compose[@]}" build --quiet
# The next release: the same files under another revision label, so other image ids (a rebuild
# would cost minutes on the classic builder and test nothing more).
new_release "$tag_a" "$tag_b"
# Chosen now, not before the build: other stacks on this engine may have taken one meanwhile.
echo "EDGE_SUBNET=$(free_subnet)" >> "$workdir/env"
set -a; . "$workdir/env"; set +a
log "starting $project on 127.0.0.1:$https_port with 3 web and 2 worker replicas"
started=$(date +%s)
up_and_wait 240 "${compose[@]}" -- --scale web=3 --scale worker=2
log "healthy after $(( $(date +%s) - started ))s"

export ROLLOUT_COMPOSE="${compose[*]}" ROLLOUT_HTTPS_PORT="$https_port"
export ROLLOUT_TAG_A="$tag_a" ROLLOUT_TAG_B="$tag_b" DEPLOY_HISTORY="$workdir/deploy-history"
unset TAG
"${UV:-uv}" run --frozen pytest tests/rollout -p no:cacheprovider -v -rP "$@"
