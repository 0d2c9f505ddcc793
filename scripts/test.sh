#!/usr/bin/env bash
# Unit and integration tests with coverage. The integration tier uses TEST_DATABASE_URL and
# TEST_REDIS_URL (default: Postgres and Redis on 127.0.0.1's usual ports); when nothing answers
# there but Docker does, throwaway containers are started on free 127.0.0.1 ports instead.
#   scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

: "${TEST_DATABASE_URL:=postgresql://postgres@127.0.0.1:5432}"
: "${TEST_REDIS_URL:=redis://127.0.0.1:6379}"
started=()

answers() {  # URL: does something accept TCP connections at its host and port?
    python3 - "$1" <<'PY'
import socket, sys
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
try:
    socket.create_connection((url.hostname or "127.0.0.1", url.port or {"redis": 6379}.get(url.scheme, 5432)), 1).close()
except OSError:
    sys.exit(1)
PY
}


cleanup() {
    if [ "${#started[@]}" -gt 0 ]; then
        docker rm -f "${started[@]}" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

wait_for() {  # what, command...: retry for 60 s
    local what="$1"; shift
    for _ in $(seq 1 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "$what did not become ready" >&2; exit 1
}

if ! answers "$TEST_DATABASE_URL"; then
    if docker_answers; then
        name="folio-test-pg-$$"
        docker run -d --rm --name "$name" -p 127.0.0.1::5432 \
            -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_PASSWORD=throwaway \
            --tmpfs /var/lib/postgresql/data \
            "${POSTGRES_IMAGE:-postgres:17}" >/dev/null
        started+=("$name")
        port="$(docker port "$name" 5432/tcp | head -1 | sed 's/.*://')"
        wait_for "throwaway Postgres" docker exec "$name" pg_isready -h 127.0.0.1 -U postgres
        TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port"
        echo "started throwaway Postgres on 127.0.0.1:$port" >&2
    else
        echo "no Postgres at $TEST_DATABASE_URL and no Docker: integration tests will skip" >&2
    fi
fi

if ! answers "$TEST_REDIS_URL"; then
    if docker_answers; then
        name="folio-test-redis-$$"
        docker run -d --rm --name "$name" -p 127.0.0.1::6379 "${REDIS_IMAGE:-redis:8}" >/dev/null
        started+=("$name")
        port="$(docker port "$name" 6379/tcp | head -1 | sed 's/.*://')"
        wait_for "throwaway Redis" docker exec "$name" redis-cli ping
        TEST_REDIS_URL="redis://127.0.0.1:$port"
        echo "started throwaway Redis on 127.0.0.1:$port" >&2
    else
        echo "no Redis at $TEST_REDIS_URL and no Docker: integration tests will skip" >&2
    fi
fi

export TEST_DATABASE_URL TEST_REDIS_URL
"${UV:-uv}" run --frozen pytest --cov --cov-report=term "$@"
