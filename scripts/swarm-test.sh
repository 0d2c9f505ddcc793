#!/usr/bin/env bash
# Swarm tier: on a single-node swarm made for the test, deploy compose.yaml + compose.swarm.yaml
# (+ tests/swarm/compose.swarm-test.yaml: SMTP sink, throwaway TLS certificate) from the built
# images, with secrets made from *_FILE files, run the journey test through nginx, check that
# all three web replicas answered, and run a rolling update of web and worker under a steady
# load that must drop nothing (tests/swarm). Then the stack is removed and the node leaves the
# swarm, whatever happened.
#   scripts/swarm-test.sh [pytest args...]       (SWARM_STACK names the stack)
#
# It refuses to run on an engine that is already part of a swarm: it would have to leave it.
# The swarm listens on 127.0.0.1 only. Swarm publishes ports on every interface, and this
# machine may publish on loopback only, so nginx's port is left out of the deployed file and the
# tests run inside nginx's network namespace, talking to 127.0.0.1:8080 and :8443 there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
log() { printf '[swarm-test %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

docker_answers || { log "no Docker engine answers; this tier needs one"; exit 1; }
state="$(docker info --format '{{.Swarm.LocalNodeState}}')"
if [ "$state" != inactive ]; then
    log "this engine is already a swarm member ($state); refusing to create or leave one here"
    exit 1
fi
{ [ "$(id -u)" -eq 0 ] && command -v nsenter >/dev/null; } \
    || { log "needs root and nsenter (util-linux) to reach nginx inside its namespace"; exit 1; }

stack="${SWARM_STACK:-folio-swarmtest-$$}"
workdir="$(mktemp -d)"
tag_a="$stack-a"
tag_b="$stack-b"
joined=0
made_gwbridge=0

cleanup() {
    local status=$?
    set +e
    if [ "$joined" = 1 ]; then
        if [ "$status" -ne 0 ]; then
            docker service ls --filter "label=com.docker.stack.namespace=$stack" >&2
            for service in web nginx migrate; do
                docker service logs --tail 30 --raw "${stack}_$service" >&2 2>/dev/null
            done
        fi
        log "removing the stack"
        docker stack rm "$stack" >/dev/null 2>&1
        for _ in $(seq 1 60); do
            [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$stack")" ] && break
            sleep 1
        done
        # A worker finishing a long task could hold the swarm up to its grace period (170 s).
        docker ps -aq --filter "label=com.docker.stack.namespace=$stack" | xargs -r docker rm -f >/dev/null
        log "leaving the swarm"
        for _ in 1 2 3 4 5; do
            docker swarm leave --force >/dev/null 2>&1
            [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive ] && break
            sleep 3
        done
        docker info --format 'swarm state after leaving: {{.Swarm.LocalNodeState}}' >&2
        docker volume ls -q --filter "label=com.docker.stack.namespace=$stack" \
            | xargs -r docker volume rm >/dev/null 2>&1
    fi
    if [ "$made_gwbridge" = 1 ]; then
        docker network rm docker_gwbridge >/dev/null 2>&1
    fi
    for image in folio-web folio-worker folio-nginx folio-backup; do
        docker image rm "local/$image:$tag_a" "local/$image:$tag_b" >/dev/null 2>&1
    done
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Secrets, as an operator gives them: files named by the *_FILE settings.
mkdir -p "$workdir/secrets"
new_secret 48 > "$workdir/secrets/secret_key"
new_secret 24 > "$workdir/secrets/db_password"
echo unused > "$workdir/secrets/mail_password"
throwaway_certificate "$workdir/tls"

export REGISTRY=local TAG="$tag_a" \
    SECRET_KEY_FILE="$workdir/secrets/secret_key" \
    POSTGRES_PASSWORD_FILE="$workdir/secrets/db_password" \
    MAIL_PASSWORD_FILE="$workdir/secrets/mail_password" \
    SERVER_NAME=127.0.0.1:8443 SWARM_TLS_DIR="$workdir/tls" \
    FOLIO_ENV_FILE=/dev/null  # no .env: the app's defaults, and the overlay's mail settings
unset SECRET_KEY POSTGRES_PASSWORD MAIL_PASSWORD

SWARM_MAILPIT_IMAGE="$(scripts/mailpit-image.sh)"
export SWARM_MAILPIT_IMAGE

log "building $tag_a and $tag_b"
build=(docker compose -p "$stack" -f compose.yaml)
# The checkout's revision, not the throwaway tag: a build of an unchanged tree is then all cache
# hits, which keeps the time this test holds the engine as a swarm short.
REVISION="${REVISION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}" \
    "${build[@]}" build --quiet
# The next release: the same files under another revision label, so other image ids (a rebuild
# would cost minutes on the classic builder and test nothing more).
new_release "$tag_a" "$tag_b"

# Swarm's own networks take addresses nothing on this engine uses yet.
mapfile -t networks < <(docker network ls -q)
address_pool="$(docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' \
    "${networks[@]}" | python3 -c '
import ipaddress, sys
used = [ipaddress.ip_network(s, strict=False) for s in sys.stdin.read().split() if ":" not in s]
for n in range(214, 250):
    pool = ipaddress.ip_network(f"10.{n}.0.0/16")
    if not any(pool.overlaps(u) for u in used):
        print(pool)
        break
else:
    sys.exit("no free 10.x.0.0/16 for the swarm")
')"
if ! docker network inspect docker_gwbridge >/dev/null 2>&1; then
    # Another stack may take the subnet between choosing and creating: choose again.
    for _ in 1 2 3; do
        if docker network create --subnet "$(free_subnet)" \
            --opt com.docker.network.bridge.name=docker_gwbridge \
            --opt com.docker.network.bridge.enable_icc=false \
            --opt com.docker.network.bridge.enable_ip_masquerade=true docker_gwbridge >/dev/null; then
            made_gwbridge=1
            break
        fi
        sleep 2
    done
    [ "$made_gwbridge" = 1 ] || { log "could not create docker_gwbridge"; exit 1; }
fi
log "docker swarm init (127.0.0.1, networks from $address_pool)"
joined=1
docker swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$(free_port)" \
    --default-addr-pool "$address_pool" --default-addr-pool-mask-length 24 >/dev/null
# db, redis and beat are placed on labelled nodes (docs/scale-out.md); here there is one.
docker node update --label-add folio.db=true --label-add folio.redis=true \
    --label-add folio.beat=true "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null

EDGE_SUBNET="$(free_subnet)"
export EDGE_SUBNET
docker stack config -c compose.yaml -c compose.swarm.yaml -c tests/swarm/compose.swarm-test.yaml \
    > "$workdir/stack.yaml"
"${UV:-uv}" run --frozen python - "$workdir/stack.yaml" <<'PY'
import sys, yaml
path = sys.argv[1]
stack = yaml.safe_load(open(path))
assert [n for n, s in stack["services"].items() if s.get("ports")] == ["nginx"]
del stack["services"]["nginx"]["ports"]  # see the header: loopback only on this machine

def escape(value):
    """stack config prints values interpolated; deploying them again must not re-interpolate."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape(v) for v in value]
    return value

yaml.safe_dump(escape(stack), open(path, "w"), sort_keys=False)
PY
log "docker stack deploy $stack"
started=$(date +%s)
docker stack deploy --resolve-image never -c "$workdir/stack.yaml" "$stack" >/dev/null

export SWARM_STACK="$stack" SWARM_TAG_A="$tag_a" SWARM_TAG_B="$tag_b"
"${UV:-uv}" run --frozen python -m tests.swarm.converge
log "converged after $(( $(date +%s) - started ))s"

nginx_pid="$(docker inspect -f '{{.State.Pid}}' \
    "$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_nginx" | head -n 1)")"
mailpit="$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_mailpit" | head -n 1)"
mail_ip="$(docker inspect -f "{{(index .NetworkSettings.Networks \"${stack}_edge\").IPAddress}}" "$mailpit")"

export E2E_BASE_URL="https://127.0.0.1:8443" E2E_HTTP_URL="http://127.0.0.1:8080" \
    E2E_MAIL_API="http://$mail_ip:8025" E2E_CA_FILE="$workdir/tls/cert.pem"
log "tests, inside nginx's network namespace"
nsenter -t "$nginx_pid" -n "${UV:-uv}" run --frozen pytest -p no:cacheprovider -v -rP \
    tests/e2e/test_journey.py tests/swarm "$@"
