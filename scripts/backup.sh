#!/usr/bin/env bash
# `make backup` and `make restore`: drive the running stack's backup service.
#   scripts/backup.sh create                  back up now, copy to $BACKUP_DIR/<name>/, print <name>
#   scripts/backup.sh restore NAME [yes]      say what NAME would replace; with "yes", replace it
# STACK is the compose command (make passes `docker compose -f compose.yaml`).
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a stack <<< "${STACK:-docker compose -f compose.yaml}"
host_dir="${BACKUP_DIR:-backups}"
volume_dir=/var/lib/folio/backups

case "${1:-}" in
create)
    name="$("${stack[@]}" exec -T backup python /app/folio_backup.py create | tail -n 1)"
    mkdir -p "$host_dir"
    # Through tar on the pipe: `docker cp` refuses containers with a read-only root.
    "${stack[@]}" exec -T backup tar -C "$volume_dir" -cf - "$name" | tar -C "$host_dir" -xf -
    (cd "$host_dir/$name" && sha256sum --quiet -c SHA256SUMS)
    echo "backup written to $host_dir/$name (checksums verified)" >&2
    echo "$name"
    ;;
restore)
    name="${2:?usage: make restore BACKUP=<name> [CONFIRM=yes]}"
    case "$name" in */* | .* ) echo "BACKUP is a backup's name, e.g. 20261130T031500Z" >&2; exit 2 ;; esac
    if [ -d "$host_dir/$name" ]; then
        (cd "$host_dir/$name" && sha256sum --quiet -c SHA256SUMS)
        tar -C "$host_dir" -cf - "$name" | "${stack[@]}" exec -T backup tar -C "$volume_dir" -xf -
    fi
    if [ "${3:-}" != yes ]; then
        "${stack[@]}" exec -T backup python /app/folio_backup.py restore "$name"
        exit 0
    fi
    # Nothing may write while the database is replaced; nginx shows its maintenance page.
    "${stack[@]}" stop web worker beat
    trap '"${stack[@]}" start web worker beat >/dev/null' EXIT
    "${stack[@]}" exec -T backup python /app/folio_backup.py restore "$name" --yes
    trap - EXIT
    "${stack[@]}" up -d --wait web worker beat nginx 2>/dev/null
    echo "restored $name" >&2
    ;;
*)
    sed -n '2,5p' "$0" >&2
    exit 2
    ;;
esac
