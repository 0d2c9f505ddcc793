#!/usr/bin/env bash
# Builds the stand-ins for Prometheus, certbot and pebble from Debian's packages
# (monitoring/standin/Dockerfile) and prints the variables that name them, like the shared
# offline-images build does for the base images. Production keeps the official images.
#   scripts/build-standins.sh >> some.env
# DEBIAN_IMAGE picks the Debian base (default: the offline one when present, else debian:trixie-slim).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DEBIAN_IMAGE:-}" ]; then
    DEBIAN_IMAGE=debian:trixie-slim
    docker image inspect offline/debian:trixie-slim >/dev/null 2>&1 && DEBIAN_IMAGE=offline/debian:trixie-slim
fi
for target in prometheus certbot pebble; do
    docker build -q -f monitoring/standin/Dockerfile --target "$target" \
        --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -t "folio-standin/$target:latest" . >/dev/null
done
echo "PROMETHEUS_IMAGE=folio-standin/prometheus:latest"
echo "CERTBOT_IMAGE=folio-standin/certbot:latest"
echo "PEBBLE_IMAGE=folio-standin/pebble:latest"
