#!/usr/bin/env bash
# Prints the mail catcher image to run: MAILPIT_IMAGE (the official Mailpit by default) when it
# is here or can be pulled, else a stand-in built from mailcatcher/Dockerfile on PYTHON_IMAGE.
#   MAILPIT_IMAGE=$(scripts/mailpit-image.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
official="${MAILPIT_IMAGE:-axllent/mailpit:v1.27}"
standin="local/folio-mailpit-standin:latest"
if docker image inspect "$official" >/dev/null 2>&1 || docker pull -q "$official" >/dev/null 2>&1; then
    echo "$official"
    exit 0
fi
echo "mail catcher: $official cannot be pulled here; building a stand-in ($standin)" >&2
docker build -q -f mailcatcher/Dockerfile \
    --build-arg "PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.13-slim}" -t "$standin" . >/dev/null
echo "$standin"
