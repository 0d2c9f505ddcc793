"""Prometheus metrics: how every Folio process serves them, on a port of its own.

The port (METRICS_PORT, off when 0) is never the site's: nginx does not proxy it and compose
publishes it nowhere, so only Prometheus on the stack's networks reads it. Processes that fork
(Gunicorn, Celery's prefork pool) set PROMETHEUS_MULTIPROC_DIR: each child writes its samples
to a file there and the serving parent adds them up.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server
from prometheus_client.registry import Collector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROCESS_ENV, "").strip()
    return Path(value) if value else None


def reset_multiprocess_dir() -> None:
    """Empty the samples folder when a process tree starts: old children's files would count."""
    folder = multiprocess_dir()
    if folder is None:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def mark_process_dead(pid: int) -> None:
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


def serve(port: int, collectors: Iterable[Collector] = ()) -> CollectorRegistry | None:
    """Serve /metrics on `port` from a thread of this process; nothing when port is 0."""
    if not port:
        return None
    if multiprocess_dir() is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    for collector in collectors:
        registry.register(collector)
    start_http_server(port, addr="0.0.0.0", registry=registry)  # noqa: S104 - the stack's networks only
    return registry
