# shellcheck shell=bash
# Helpers shared by the scripts that start a throwaway stack; sourced, not run.

# Does a Docker engine answer?
docker_answers() {
    command -v docker >/dev/null && docker info >/dev/null 2>&1
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A /24 for the stack's edge network that no Docker network on this host uses yet.
free_subnet() {
    # Docker's automatic pools hand out whole /16s in 172.17-172.31, so an exact-match test is
    # not enough: take the first candidate /24 that overlaps no existing network.
    local networks
    mapfile -t networks < <(docker network ls -q)
    docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' \
        "${networks[@]}" 2>/dev/null | python3 -c '
import ipaddress, sys
used = [ipaddress.ip_network(s, strict=False) for s in sys.stdin.read().split() if ":" not in s]
candidates = [f"172.{b}.{n}.0/24" for b in (30, 31) for n in range(81, 251)]
candidates += [f"10.213.{n}.0/24" for n in range(256)]  # outside the default Docker pools
for candidate in map(ipaddress.ip_network, candidates):
    if not any(candidate.overlaps(u) for u in used):
        print(candidate)
        sys.exit(0)
sys.exit("no free /24 subnet for the edge network")
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
