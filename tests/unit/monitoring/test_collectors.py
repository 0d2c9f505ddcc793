"""Exporter collectors that read files and nginx, and the worker's task metrics."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from folio_worker import metrics as worker_metrics
from folio_worker.exporter import BackupCollector, DiskCollector, NginxCollector, _not_after

STUB_STATUS = (
    "Active connections: 3 \nserver accepts handled requests\n 10 10 42 \n"
    "Reading: 0 Writing: 1 Waiting: 2 \n"
)


def registry_with(collector: object) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)  # type: ignore[arg-type]
    return registry


@pytest.fixture
def status_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the stdlib's name
            body = STUB_STATUS.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/stub_status"
    server.shutdown()
    server.server_close()


def test_nginx_counters_come_from_stub_status(status_server: str) -> None:
    registry = registry_with(NginxCollector(status_server))

    assert registry.get_sample_value("folio_nginx_up") == 1
    assert registry.get_sample_value("folio_nginx_requests") == 42
    assert registry.get_sample_value("folio_nginx_connections_active") == 3
    assert registry.get_sample_value("folio_nginx_connections_waiting") == 2


def test_nginx_down_is_a_zero_not_an_error() -> None:
    registry = registry_with(NginxCollector("http://127.0.0.1:1/stub_status"))

    assert registry.get_sample_value("folio_nginx_up") == 0
    assert registry.get_sample_value("folio_nginx_requests") is None


def test_the_certificate_expiry_is_read_from_der(tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "9",
         "-subj", "/CN=folio.test", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    der = ssl.PEM_cert_to_DER_cert((tmp_path / "cert.pem").read_text())
    end = subprocess.run(
        ["openssl", "x509", "-noout", "-enddate", "-in", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, text=True,
    ).stdout.strip().removeprefix("notAfter=")  # fmt: skip

    assert _not_after(der) == ssl.cert_time_to_seconds(end)


def test_the_newest_backup_gives_the_age_and_size(tmp_path: Path) -> None:
    for name, size in (("20261128T030000Z", 10), ("20261129T030000Z", 20)):
        (tmp_path / name).mkdir()
        made = dt.datetime.strptime(name, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        manifest = {
            "created_at": made.isoformat(),
            "files": {"db.dump": {"bytes": size}, "exports.tar.gz": {"bytes": 1}},
        }
        (tmp_path / name / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / ".20261130T030000Z.part").mkdir()

    registry = registry_with(BackupCollector(tmp_path))

    assert registry.get_sample_value("folio_backups") == 2
    assert registry.get_sample_value("folio_backup_last_size_bytes") == 21
    assert registry.get_sample_value("folio_backup_last_success_timestamp_seconds") == (
        dt.datetime(2026, 11, 29, 3, tzinfo=dt.UTC).timestamp()
    )


def test_no_backup_yet_is_a_count_of_zero(tmp_path: Path) -> None:
    registry = registry_with(BackupCollector(tmp_path))

    assert registry.get_sample_value("folio_backups") == 0
    assert registry.get_sample_value("folio_backup_last_success_timestamp_seconds") is None


def test_disk_space_of_the_volume(tmp_path: Path) -> None:
    registry = registry_with(DiskCollector(tmp_path))
    labels = {"path": str(tmp_path)}

    size = registry.get_sample_value("folio_disk_size_bytes", labels)
    assert size and 0 < registry.get_sample_value("folio_disk_free_bytes", labels) <= size


class FakeTask:
    name = "folio.metrics_test"


def outcome_count(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "folio_tasks_total", {"task": FakeTask.name, "outcome": outcome}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("state", "outcome"), [("SUCCESS", "succeeded"), ("FAILURE", "failed"), ("RETRY", "retried")]
)
def test_each_task_run_counts_its_outcome_and_duration(state: str, outcome: str) -> None:
    before = outcome_count(outcome)
    runs = (
        REGISTRY.get_sample_value("folio_task_duration_seconds_count", {"task": FakeTask.name})
        or 0.0
    )

    worker_metrics._on_prerun(task_id="t-1")
    worker_metrics._on_postrun(task_id="t-1", task=FakeTask(), state=state)  # type: ignore[arg-type]

    assert outcome_count(outcome) == before + 1
    assert (
        REGISTRY.get_sample_value("folio_task_duration_seconds_count", {"task": FakeTask.name})
        == runs + 1
    )


def test_only_beats_sends_set_the_last_sent_gauge(monkeypatch: pytest.MonkeyPatch) -> None:
    labels = {"task": "folio.metrics_test_schedule"}
    worker_metrics._on_publish(sender="folio.metrics_test_schedule")
    assert REGISTRY.get_sample_value("folio_beat_last_sent_timestamp_seconds", labels) is None

    monkeypatch.setattr(worker_metrics, "_in_beat", True)
    worker_metrics._on_publish(sender="folio.metrics_test_schedule")

    assert REGISTRY.get_sample_value("folio_beat_last_sent_timestamp_seconds", labels) > 0
