"""Metrics move with what happens: requests, a stuck worker's queue, a failing task.

Read where Prometheus reads them, inside the stack; the public port serves none of them.
"""

from __future__ import annotations

import os
import re
import subprocess

import requests

from tests.e2e.conftest import compose, wait_until

BASE_URL = os.environ.get("E2E_BASE_URL", "")
PROMETHEUS = f"http://127.0.0.1:{os.environ.get('OPS_PROMETHEUS_PORT', '0')}"
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def scrape(service: str) -> str:
    """The metrics page of a service, fetched from inside its own container."""
    return compose(
        "exec",
        "-T",
        service,
        "python",
        "-c",
        "import urllib.request as u; print(u.urlopen('http://127.0.0.1:9100/metrics').read().decode())",
    ).stdout


def value(page: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there are none)."""
    total = 0.0
    for line in page.splitlines():
        match = _SAMPLE.match(line)
        if not match or match["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match["value"])
    return total


def status_through_nginx(path: str) -> int:
    """HTTPS status of `path`. -k: this stack's certificate is tested in test_tls.py. The cookie
    keeps nginx's micro-cache out of the way, so each request reaches the app."""
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-k",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-b",
            "probe=1",
            f"{BASE_URL}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return int(result.stdout)


def send_task(name: str, *args: object) -> None:
    compose(
        "exec",
        "-T",
        "web",
        "python",
        "-c",
        "import sys; from folio_web.wsgi import app; "
        f"app.extensions['celery'].send_task({name!r}, args={list(args)!r})",
    )


def test_requests_through_nginx_raise_the_web_counters() -> None:
    before = scrape("web")
    for _ in range(5):
        assert status_through_nginx("/readyz") == 200

    after = scrape("web")

    counted = value(after, "folio_http_requests_total", endpoint="health.readyz", status="200")
    assert (
        counted - value(before, "folio_http_requests_total", endpoint="health.readyz", status="200")
        >= 5
    )
    assert value(after, "folio_http_request_duration_seconds_count", endpoint="health.readyz") >= 5


def test_a_paused_worker_lets_the_queue_grow_and_it_drains_after() -> None:
    compose("pause", "worker")
    try:
        for _ in range(3):
            send_task("folio.noop")
        depth = wait_until(
            lambda: value(scrape("exporter"), "folio_queue_messages", queue="folio") >= 3,
            timeout=30,
            what="the queue-depth gauge to show the waiting tasks",
        )
        assert depth
    finally:
        compose("unpause", "worker")
    wait_until(
        lambda: value(scrape("exporter"), "folio_queue_messages", queue="folio") == 0,
        timeout=60,
        what="the worker to drain the queue",
    )


def test_a_failing_task_raises_the_failure_counter() -> None:
    before = value(scrape("worker"), "folio_tasks_total", task="folio.noop", outcome="failed")

    send_task("folio.noop", "an argument folio.noop does not take")

    wait_until(
        lambda: (
            value(scrape("worker"), "folio_tasks_total", task="folio.noop", outcome="failed")
            > before
        ),
        timeout=60,
        what="the failure counter to move",
    )


def test_the_exporter_sees_postgres_redis_nginx_and_the_certificate() -> None:
    page = scrape("exporter")

    for gauge in ("folio_postgres_up", "folio_redis_up", "folio_broker_up", "folio_nginx_up"):
        assert value(page, gauge) == 1, gauge
    assert value(page, "folio_nginx_requests") > 0
    assert value(page, "folio_disk_size_bytes") > 0


def test_prometheus_scrapes_every_target_and_loads_the_rules() -> None:
    def all_up() -> dict[str, str] | None:
        targets = requests.get(f"{PROMETHEUS}/api/v1/targets", timeout=10).json()
        health = {t["labels"]["job"]: t["health"] for t in targets["data"]["activeTargets"]}
        return health if health and set(health.values()) == {"up"} else None

    health = wait_until(all_up, timeout=60, interval=2, what="every target up")
    rules = requests.get(f"{PROMETHEUS}/api/v1/rules", timeout=10).json()

    assert set(health) == {"web", "worker", "beat", "exporter", "prometheus"}
    names = {rule["name"] for group in rules["data"]["groups"] for rule in group["rules"]}
    assert {"FolioWeb5xxRate", "FolioQueueBacklog", "FolioBackupTooOld"} <= names


def test_no_metrics_go_out_through_the_public_port() -> None:
    for path in ("/metrics", "/stub_status", "/_folio/metrics"):
        assert status_through_nginx(path) == 404, path
