"""`folio-healthcheck`, the command compose's health checks run in the web and worker images."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.ports import free_port
from folio_common import healthcheck


def test_the_worker_is_healthy_while_its_liveness_file_is_fresh(tmp_path, monkeypatch):
    alive = tmp_path / "alive"
    monkeypatch.setenv("WORKER_LIVENESS_FILE", str(alive))
    assert healthcheck.main(["worker"]) == 1

    alive.touch()
    assert healthcheck.main(["worker"]) == 0

    stale = time.time() - healthcheck.WORKER_STALE_AFTER_S - 1
    os.utime(alive, (stale, stale))
    assert healthcheck.main(["worker"]) == 1


def test_beat_is_healthy_while_a_schedule_file_is_fresh(tmp_path, monkeypatch):
    schedule = tmp_path / "schedule"
    monkeypatch.setattr(healthcheck, "BEAT_SCHEDULE", str(schedule))
    assert healthcheck.main(["beat"]) == 1

    Path(f"{schedule}.db").touch()
    assert healthcheck.main(["beat"]) == 0

    stale = time.time() - healthcheck.BEAT_STALE_AFTER_S - 1
    os.utime(f"{schedule}.db", (stale, stale))
    assert healthcheck.main(["beat"]) == 1


@pytest.fixture
def http_server(monkeypatch) -> Iterator[list[int]]:
    """Gunicorn's and the exporter's port: /healthz and /metrics answer the status in the list."""
    answer = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer[0] if self.path in ("/healthz", "/metrics") else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GUNICORN_BIND", f"0.0.0.0:{server.server_address[1]}")
    monkeypatch.setenv("METRICS_PORT", str(server.server_address[1]))
    yield answer
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("check", ["web", "exporter"])
def test_a_server_is_healthy_while_it_answers_200(http_server, check):
    assert healthcheck.main([check]) == 0

    http_server[0] = 503
    assert healthcheck.main([check]) == 1


def test_a_server_that_does_not_listen_is_unhealthy(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", f"0.0.0.0:{free_port()}")
    assert healthcheck.main(["web"]) == 1


def test_an_unknown_check_is_a_usage_error(capsys):
    assert healthcheck.main(["nginx"]) == 2
    assert "usage: folio-healthcheck web|worker|beat|exporter" in capsys.readouterr().err
