# shellcheck shell=bash
# Helpers shared by the scripts that start a throwaway stack; sourced, not run.

# Does a Docker engine answer?
docker_answers() {
    command -v docker >/dev/null && docker info >/dev/null 2>&1
}

# Installs Debian packages with apt, as root; anyone else is told what to install.
#   apt_install "WHAT is/are missing" PACKAGE...
apt_install() {
    local what=$1
    shift
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "$what: install Debian's $*" >&2
        return 1
    fi
    echo "installing $* with apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# A free TCP port on 127.0.0.1.
free_port() {
    free_ports 1
}

# N distinct free TCP ports on 127.0.0.1, on one line: held open together while chosen, since
# one port taken and released at a time can come back from the next call.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
}

# A /24 for the stack's edge network that no Docker network on this host uses yet.
free_subnet() {
    # Only from 172.16.0.0/16: Docker's automatic pools (172.17-172.31 as whole /16s, then
    # 192.168.x/20) never hand it out, so a network Compose creates without a subnet cannot take
    # the chosen /24 between this check and `up`. Swarm's overlay pool is 10.0.0.0/8.
    local networks
    mapfile -t networks < <(docker network ls -q)
    docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' \
        "${networks[@]}" 2>/dev/null | python3 -c '
import ipaddress, sys
used = [ipaddress.ip_network(s, strict=False) for s in sys.stdin.read().split() if ":" not in s]
for n in range(81, 255):
    candidate = ipaddress.ip_network(f"172.16.{n}.0/24")
    if not any(candidate.overlaps(u) for u in used):
        print(candidate)
        sys.exit(0)
sys.exit("no free 172.16.x.0/24 subnet for the edge network")
'
}

# A random secret of about 4/3 * N characters.
new_secret() {
    python3 -c "import secrets; print(secrets.token_urlsafe(${1:-32}))"
}

# Tags Folio's images FROM as TO with another revision label: another image id, the same files.
new_release() {
    local image
    for image in folio-web folio-worker folio-nginx; do
        printf 'FROM local/%s:%s\nLABEL org.opencontainers.image.revision="%s"\n' "$image" "$1" "$2" \
            | docker build -q -t "local/$image:$2" - >/dev/null
    done
}

# A self-signed certificate for 127.0.0.1 in DIR/cert.pem and DIR/key.pem, for nginx's HTTPS.
#   throwaway_certificate DIR
throwaway_certificate() {
    mkdir -p "$1"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
    chmod 0644 "$1/key.pem"  # read by nginx's unprivileged user; a throwaway key
}

# The env lines every throwaway stack starts with (the rollout tier's too): fresh secrets, the
# base images, and Folio's own images as local/*:TAG.
#   base_env TAG
base_env() {
    cat <<ENV
SECRET_KEY=$(new_secret 48)
POSTGRES_PASSWORD=$(new_secret 24)
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.13-slim}
NGINX_IMAGE=${NGINX_IMAGE:-nginx:1.26}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:17}
REDIS_IMAGE=${REDIS_IMAGE:-redis:8}
REGISTRY=local
TAG=$1
ENV
}

# What every throwaway stack of the test tiers shares (make e2e, make chaos, the operations
# tier): base_env, free 127.0.0.1 ports, a throwaway certificate in DIR/tls served on the HTTPS
# port that SERVER_NAME names, and mail to the catcher (compose.mail.yaml).
# Sets http_port, https_port and mail_port, and prints the env file:
#   throwaway_env DIR TAG > DIR/stack.env
throwaway_env() {
    local dir="$1" tag="$2"
    throwaway_certificate "$dir/tls"
    read -r http_port https_port mail_port < <(free_ports 3)
    base_env "$tag"
    cat <<ENV
REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
HTTP_PORT=$http_port
SERVER_NAME=127.0.0.1:$https_port
PREFERRED_URL_SCHEME=https
E2E_HTTPS_PORT=$https_port
MAILPIT_PORT=$mail_port
MAILPIT_IMAGE=$(scripts/mailpit-image.sh)
E2E_TLS_DIR=$dir/tls
EDGE_SUBNET=$(free_subnet)
ENV
}

# The start of a throwaway stack's script (make e2e, make chaos, the operations tier): refuse
# without Docker; then set project (PROJECT), workdir (new), env_file (workdir/NAME.env, written
# by throwaway_env, which also sets the ports) and compose (PROJECT with compose.yaml and the e2e
# tier's overlays).
#   throwaway_stack NAME PROJECT TAG
throwaway_stack() {
    docker_answers || { log "no Docker engine answers; this tier needs one"; exit 1; }
    # shellcheck disable=SC2034  # for the script that sources this file
    project="$2"
    workdir="$(mktemp -d)"
    env_file="$workdir/$1.env"
    throwaway_env "$workdir" "$3" > "$env_file"
    # shellcheck disable=SC2034
    compose=(docker compose -p "$2" --env-file "$env_file"
             -f compose.yaml -f compose.mail.yaml -f compose.e2e.yaml)
}

# The env file's values in the environment, where they win over anything make or the shell
# exported; the app services read their settings from the same file (compose.yaml, env_file).
load_stack_env() {
    set -a
    # shellcheck source=/dev/null
    . "$env_file"
    set +a
    export FOLIO_ENV_FILE="$env_file"
}

# Start the stack that throwaway_stack set up and wait until it is healthy; then tell the tests
# where it is in PREFIX_BASE_URL (HTTPS), PREFIX_HTTP_URL, PREFIX_MAIL_API, PREFIX_CA_FILE and
# PREFIX_COMPOSE.
#   up_throwaway PREFIX
up_throwaway() {
    local started
    log "starting $project on 127.0.0.1:$http_port (https $https_port)"
    started=$(date +%s)
    up_on_free_subnet "$env_file" "${compose[@]}"
    log "healthy after $(( $(date +%s) - started ))s"
    export "$1_BASE_URL=https://127.0.0.1:$https_port" "$1_HTTP_URL=http://127.0.0.1:$http_port"
    export "$1_MAIL_API=http://127.0.0.1:$mail_port" "$1_CA_FILE=$workdir/tls/cert.pem"
    export "$1_COMPOSE=${compose[*]}"
}

# The EXIT trap of a throwaway stack's script: when STATUS is not 0, each service's state and
# last logs; then, unless KEEP is 1, `down -v` and WORKDIR removed. Exits with STATUS. Calls the
# script's own `log`.
#   trap 'remove_stack "$?" "${X_KEEP:-0}" "$workdir" "${compose[@]}"' EXIT
remove_stack() {
    local status="$1" keep="$2" workdir="$3"
    shift 3
    if [ "$status" -ne 0 ]; then
        log "failed; last logs of each service:"
        "$@" ps -a >&2 || true
        "$@" logs --no-color --tail 60 >&2 || true
    fi
    if [ "$keep" = 1 ]; then
        log "kept the stack (remove it with: $* down -v; its files are in $workdir)"
        exit "$status"
    fi
    log "removing the stack"
    "$@" down -v --remove-orphans --timeout 30 >/dev/null 2>&1 || true
    rm -rf "$workdir"
    exit "$status"
}

# up_and_wait for a throwaway stack. Another stack on this host may take the chosen edge subnet
# between free_subnet and `up`: then pick another, write it to ENV_FILE, and try again.
#   up_on_free_subnet ENV_FILE "${compose[@]}"
up_on_free_subnet() {
    local env_file="$1" attempt
    shift
    for attempt in 1 2 3; do
        if up_and_wait 180 "$@" 2>"$env_file.up.err"; then
            return 0
        fi
        if ! grep -q "Pool overlaps" "$env_file.up.err" || [ "$attempt" -eq 3 ]; then
            cat "$env_file.up.err" >&2
            return 1
        fi
        "$@" down -v --remove-orphans >/dev/null 2>&1 || true
        EDGE_SUBNET="$(free_subnet)"
        export EDGE_SUBNET
        sed -i "s|^EDGE_SUBNET=.*|EDGE_SUBNET=$EDGE_SUBNET|" "$env_file"
    done
}

# Start a stack and return once the migration has succeeded and every other service is healthy.
# `up --wait` alone cannot say that: it counts the one-shot migrate's exit as a failure when it
# sees it, since only a depends_on condition (which Swarm refuses) tells Compose to expect it. So:
# start everything, take migrate's own exit code, then wait for the rest.
#   up_and_wait SECONDS "${compose[@]}" [-- more up arguments, e.g. --scale web=3]
up_and_wait() {
    local seconds="$1" compose=() extra=() services=()
    shift
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        compose+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    extra=("$@")
    "${compose[@]}" up -d --quiet-pull "${extra[@]}" || return 1
    if ! timeout "$seconds" "${compose[@]}" wait migrate >/dev/null; then
        echo "the migrate service failed or did not finish within ${seconds}s:" >&2
        "${compose[@]}" logs --no-color --tail 30 migrate >&2
        return 1
    fi
    mapfile -t services < <("${compose[@]}" config --services | grep -vx migrate)
    "${compose[@]}" up -d --wait --wait-timeout "$seconds" --no-deps "${extra[@]}" "${services[@]}"
}
