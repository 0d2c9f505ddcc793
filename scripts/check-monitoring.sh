#!/usr/bin/env bash
# promtool check config (which checks the rule files it names too) and check rules, from the
# Prometheus image in PROMETHEUS_IMAGE, or the Debian stand-in built here.
set -euo pipefail
cd "$(dirname "$0")/.."
image="${PROMETHEUS_IMAGE:-}"
if [ -z "$image" ]; then
    image="$(scripts/build-standins.sh | sed -n 's/^PROMETHEUS_IMAGE=//p')"
fi
run=(docker run --rm -v "$PWD/monitoring/prometheus:/etc/prometheus:ro" --entrypoint promtool "$image")
"${run[@]}" check config /etc/prometheus/prometheus.yml
"${run[@]}" check rules /etc/prometheus/alerts.yml
"${run[@]}" test rules /etc/prometheus/alerts.test.yml
