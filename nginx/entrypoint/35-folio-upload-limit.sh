#!/bin/sh
# Writes the body limit of the routes that take an image (folio.conf): the image's own limit,
# IMAGE_MAX_BYTES, on top of the rest of the form's, MAX_CONTENT_LENGTH. The app allows the
# same sum on the same routes (folio_web/images.py), so nginx refuses only what it would.
set -eu
out="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}/folio-upload-limit.inc"
body="${MAX_CONTENT_LENGTH:-2097152}"
image="${IMAGE_MAX_BYTES:-10485760}"
case "$body$image" in
    *[!0-9]*)
        echo "35-folio-upload-limit.sh: MAX_CONTENT_LENGTH and IMAGE_MAX_BYTES are byte counts" >&2
        exit 1
        ;;
esac
echo "client_max_body_size $((body + image));" > "$out"
