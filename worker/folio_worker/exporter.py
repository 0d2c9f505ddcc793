"""The stack's own exporter, for the `monitoring` profile: what no single process can report.

    python -m folio_worker.exporter

Serves on METRICS_PORT, read on every scrape:
- the task queue's depth in the broker (it must answer while the worker is paused or down);
- Postgres and Redis basics: up, connections, size, memory (what their usual exporters give
  first, without two more images to keep);
- nginx's connection and request counters from its internal stub_status listener;
- days left on the certificate nginx presents, from a TLS handshake like a browser's;
- the newest backup's time and size, from the manifests on the backups volume, and the free
  space of the disk under it.
A source that does not answer shows as `..._up 0`; the scrape itself never fails over it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import ssl
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from folio_common.app import create_minimal_app
from folio_common.metrics import reset_multiprocess_dir, serve

log = logging.getLogger("folio.exporter")

# Kombu's Redis transport keeps each priority level of a queue in a list of its own.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)

STUB_STATUS = re.compile(
    r"Active connections:\s*(\d+).*?\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n"
    r"Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)",
    re.S,
)


def _gauge(name: str, doc: str, value: float, labels: dict[str, str] | None = None) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


class QueueCollector(Collector):
    def __init__(self, broker_url: str, queues: list[str]) -> None:
        self.client = redis.Redis.from_url(broker_url, socket_timeout=3)
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "folio_queue_messages", "Tasks waiting in the broker, by queue", labels=["queue"]
        )
        try:
            for queue in self.queues:
                keys = [queue, *(f"{queue}{PRIORITY_SEPARATOR}{p}" for p in PRIORITY_STEPS)]
                pipe = self.client.pipeline()
                for key in keys:
                    pipe.llen(key)
                depth.add_metric([queue], sum(pipe.execute()))
            up = 1
        except redis.RedisError as error:
            log.warning("broker unreachable: %s", error)
            up = 0
        yield depth
        yield _gauge("folio_broker_up", "1 when the broker answered this scrape", up)


class RedisCollector(Collector):
    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=3)

    def collect(self) -> Iterator[Metric]:
        try:
            info = self.client.info()
        except redis.RedisError:
            yield _gauge("folio_redis_up", "1 when Redis answered this scrape", 0)
            return
        yield _gauge("folio_redis_up", "1 when Redis answered this scrape", 1)
        yield _gauge("folio_redis_used_memory_bytes", "Redis used_memory", info["used_memory"])
        yield _gauge("folio_redis_maxmemory_bytes", "Redis maxmemory (0: none)", info["maxmemory"])
        yield _gauge(
            "folio_redis_connected_clients", "Redis client connections", info["connected_clients"]
        )
        yield _gauge(
            "folio_redis_rejected_connections",
            "Connections Redis refused since it started",
            info.get("rejected_connections", 0),
        )


class PostgresCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as connection:
                row = connection.execute(
                    text(
                        "SELECT numbackends, pg_database_size(datname), xact_commit, "
                        "xact_rollback, deadlocks, "
                        "(SELECT setting::int FROM pg_settings WHERE name = 'max_connections') "
                        "FROM pg_stat_database WHERE datname = current_database()"
                    )
                ).one()
                # Tasks committed but not yet handed to the broker (the outbox relay's backlog).
                unsent, oldest = connection.execute(
                    text(
                        "SELECT count(*), "
                        "coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                        "FROM task_outbox WHERE sent_at IS NULL"
                    )
                ).one()
        except Exception as error:  # any driver error means the same: down for this scrape
            log.warning("postgres unreachable: %s", error)
            yield _gauge("folio_postgres_up", "1 when Postgres answered this scrape", 0)
            return
        backends, size, commits, rollbacks, deadlocks, max_connections = row
        yield _gauge("folio_postgres_up", "1 when Postgres answered this scrape", 1)
        yield _gauge("folio_postgres_connections", "Connections to Folio's database", backends)
        yield _gauge("folio_postgres_max_connections", "Postgres max_connections", max_connections)
        yield _gauge("folio_postgres_database_size_bytes", "Size of Folio's database", size)
        yield _gauge("folio_postgres_commits", "Transactions committed (counter)", commits)
        yield _gauge("folio_postgres_rollbacks", "Transactions rolled back (counter)", rollbacks)
        yield _gauge("folio_postgres_deadlocks", "Deadlocks detected (counter)", deadlocks)
        yield _gauge("folio_outbox_unsent", "Tasks committed, not yet sent to the broker", unsent)
        yield _gauge(
            "folio_outbox_oldest_unsent_seconds", "Age of the oldest task not yet sent", oldest
        )


class NginxCollector(Collector):
    def __init__(self, status_url: str) -> None:
        self.status_url = status_url

    def collect(self) -> Iterator[Metric]:
        try:
            with urllib.request.urlopen(self.status_url, timeout=3) as response:  # noqa: S310
                match = STUB_STATUS.search(response.read().decode())
        except OSError:
            match = None
        yield _gauge("folio_nginx_up", "1 when nginx's status answered", 1 if match else 0)
        if not match:
            return
        active, accepted, handled, requests, reading, writing, waiting = map(int, match.groups())
        yield _gauge("folio_nginx_connections_active", "Open client connections", active)
        yield _gauge("folio_nginx_connections_accepted", "Accepted (counter)", accepted)
        yield _gauge("folio_nginx_connections_handled", "Handled (counter)", handled)
        yield _gauge("folio_nginx_requests", "Client requests (counter)", requests)
        yield _gauge("folio_nginx_connections_waiting", "Idle keep-alive connections", waiting)


class CertificateCollector(Collector):
    def __init__(self, address: str, server_name: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port, self.server_name = host, int(port), server_name

    def collect(self) -> Iterator[Metric]:
        # Not verified on purpose: the point is to see the expiry of whatever nginx presents.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((self.host, self.port), timeout=3) as raw,
                context.wrap_socket(raw, server_hostname=self.server_name) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
        except OSError:
            der = None
        yield _gauge("folio_tls_up", "1 when nginx completed a TLS handshake", 1 if der else 0)
        if der:
            yield _gauge(
                "folio_tls_certificate_expiry_timestamp_seconds",
                "When the certificate nginx presents expires (Unix time)",
                _not_after(der),
            )


def _der_item(der: bytes, at: int) -> tuple[int, int, int]:
    """Tag, content start and content end of the DER item at `at`."""
    tag, length, at = der[at], der[at + 1], at + 2
    if length & 0x80:
        size = length & 0x7F
        length, at = int.from_bytes(der[at : at + size], "big"), at + size
    return tag, at, at + length


def _not_after(der: bytes) -> float:
    """notAfter of a DER certificate. The standard library decodes only verified peers'
    certificates, and this one need not verify; the path to it is fixed by RFC 5280:
    Certificate > TBSCertificate > [version], serial, signature, issuer, validity."""
    _, certificate, _ = _der_item(der, 0)
    _, at, _ = _der_item(der, certificate)
    tag, _, end = _der_item(der, at)
    if tag == 0xA0:  # explicit version
        at = end
    for _field in ("serial", "signature", "issuer"):
        at = _der_item(der, at)[2]
    _, validity, _ = _der_item(der, at)
    not_before_end = _der_item(der, validity)[2]
    tag, start, end = _der_item(der, not_before_end)
    value = der[start:end].decode()
    layout = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"  # UTCTime or GeneralizedTime
    return datetime.strptime(value, layout).replace(tzinfo=UTC).timestamp()


class BackupCollector(Collector):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterator[Metric]:
        manifests = sorted(self.folder.glob("*/manifest.json"), reverse=True)
        yield _gauge("folio_backups", "Complete backups on the backups volume", len(manifests))
        if not manifests:
            return
        newest = json.loads(manifests[0].read_text())
        created = datetime.fromisoformat(newest["created_at"]).astimezone(UTC)
        yield _gauge(
            "folio_backup_last_success_timestamp_seconds",
            "When the newest complete backup was made (Unix time)",
            created.timestamp(),
        )
        yield _gauge(
            "folio_backup_last_size_bytes",
            "Size of the newest backup's files",
            sum(entry["bytes"] for entry in newest["files"].values()),
        )


class DiskCollector(Collector):
    """Free space of the filesystem holding a volume (the Docker host's data disk, usually)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterator[Metric]:
        stats = os.statvfs(self.folder)
        labels = {"path": str(self.folder)}
        yield _gauge(
            "folio_disk_free_bytes", "Bytes free to users", stats.f_bavail * stats.f_frsize, labels
        )
        yield _gauge(
            "folio_disk_size_bytes", "Filesystem size", stats.f_blocks * stats.f_frsize, labels
        )


def collectors() -> list[Collector]:
    app = create_minimal_app()
    celery = app.extensions["celery"]
    found: list[Collector] = [
        QueueCollector(celery.conf.broker_url, [celery.conf.task_default_queue]),
        PostgresCollector(
            create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
        ),
    ]
    if app.config["REDIS_URL"]:
        found.append(RedisCollector(app.config["REDIS_URL"]))
    if os.environ.get("EXPORTER_NGINX_STATUS_URL"):
        found.append(NginxCollector(os.environ["EXPORTER_NGINX_STATUS_URL"]))
    if os.environ.get("EXPORTER_TLS_ADDRESS"):
        found.append(
            CertificateCollector(
                os.environ["EXPORTER_TLS_ADDRESS"], os.environ.get("EXPORTER_TLS_SERVER_NAME", "")
            )
        )
    if os.environ.get("EXPORTER_BACKUP_DIR"):
        backups = Path(os.environ["EXPORTER_BACKUP_DIR"])
        found += [BackupCollector(backups), DiskCollector(backups)]
    return found


def main() -> None:
    # The exporter shares the worker's settings, multiprocess folder included: make it exist.
    reset_multiprocess_dir()
    port = int(os.environ.get("METRICS_PORT") or 9102)
    serve(port, collectors())
    log.info("exporter serving metrics on port %s", port)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
