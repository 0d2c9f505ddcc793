#!/usr/bin/env bash
# Fails when the web or worker image adds more than LIMIT_MB (default 150) over its base image.
# 150: the 120 it was, plus Pillow for image uploads, whose wheel carries its own libjpeg,
# libwebp, libtiff, OpenJPEG and FreeType (22 MB in the web image: 110 -> 131 MB), Pygments
# for code highlighting (10 MB) and pydantic for the settings (11 MB); Swagger UI's unused
# bundles are removed in the Dockerfile.
#   scripts/check-image-sizes.sh [registry] [tag]    (defaults: local, latest)
set -euo pipefail
registry="${1:-local}"; tag="${2:-latest}"; limit_mb="${LIMIT_MB:-150}"
base="${PYTHON_IMAGE:-python:3.13-slim}"
size() { docker image inspect --format '{{.Size}}' "$1"; }
base_size="$(size "$base")"
status=0
for image in folio-web folio-worker; do
    added=$(( ($(size "$registry/$image:$tag") - base_size) / 1000000 ))
    printf '%s:%s adds %d MB over %s (limit %d MB)\n' "$image" "$tag" "$added" "$base" "$limit_mb"
    [ "$added" -le "$limit_mb" ] || status=1
done
nginx_base="${NGINX_IMAGE:-nginx:1.26}"
printf 'folio-nginx:%s adds %d MB over %s\n' "$tag" \
    $(( ($(size "$registry/folio-nginx:$tag") - $(size "$nginx_base")) / 1000000 )) "$nginx_base"
exit "$status"
