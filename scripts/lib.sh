# Helpers shared by the scripts that start a throwaway stack; sourced, not run.

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A /24 for the stack's edge network that no Docker network on this host uses yet.
free_subnet() {
    local used n
    used="$(docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' \
        $(docker network ls -q) 2>/dev/null || true)"
    for n in $(seq 81 250); do
        case " $used " in *" 172.30.$n.0/24 "*) ;; *) echo "172.30.$n.0/24"; return 0 ;; esac
    done
    echo "no free 172.30.x.0/24 subnet" >&2
    return 1
}

# A random secret of about 4/3 * N characters.
new_secret() {
    python3 -c "import secrets; print(secrets.token_urlsafe(${1:-32}))"
}
