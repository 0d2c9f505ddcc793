"""Gunicorn settings for the web container; every value can be overridden from the environment.

Workers are sized from the container's CPU quota (cgroup v2 `cpu.max`, or v1 `cfs_quota_us`)
when one is set, else from the CPUs this process may run on.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

CGROUP_ROOT = Path(os.environ.get("GUNICORN_CGROUP_ROOT", "/sys/fs/cgroup"))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def cpu_quota(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs granted by the cgroup's quota, or None when no quota is set."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    if quota_us > 0 and period_us > 0:
        return quota_us / period_us
    return None


def available_cpus(root: Path = CGROUP_ROOT) -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    quota = cpu_quota(root)
    if quota is None:
        return max(1, usable)
    return max(1, min(usable, math.ceil(quota)))


CPUS = available_cpus()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",")
worker_class = "gthread"
workers = _env_int("GUNICORN_WORKERS", max(2, 2 * CPUS))
threads = _env_int("GUNICORN_THREADS", 4)
# Must stay below the service's stop_grace_period so in-flight requests finish before SIGKILL.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# Longer than nginx's upstream keepalive_timeout, so nginx never reuses a socket we just closed.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)
# A safety net against slow leaks, not a routine: a fresh worker re-warms its template, SQL and
# connection caches; restarting every 1000 requests made a cached page cost ~35 % more CPU, and
# at 10000 a worker still restarted every ~13 s under load (docs/performance.md).
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 100000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 10000)
# The heartbeat file lives in RAM: the root filesystem is read-only and disk I/O can stall it.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm")  # noqa: S108
preload_app = _env_flag("GUNICORN_PRELOAD", True)
reload = _env_flag("GUNICORN_RELOAD", False)
# Trust X-Forwarded-* only from the proxy network (a CIDR or comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = _env_int("GUNICORN_LIMIT_REQUEST_LINE", 8190)
# The runtime control socket is off unless a writable path is given (the root is read-only).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# The app logs one JSON line per request itself; Gunicorn's own access log would repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "folio_common.logging.JsonFormatter"}},
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        # Gunicorn's defaults name this handler; keep it, pointed at stderr, unused.
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": loglevel.upper(), "handlers": []},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}


# Each worker writes its request metrics to files here; the master serves their sum.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    from folio_common.metrics import reset_multiprocess_dir

    reset_multiprocess_dir()


def when_ready(server):  # Gunicorn's hook signature
    """Serve the workers' metrics from the master, on METRICS_PORT (not nginx's upstream)."""
    module = sys.modules.get("folio_web.wsgi")
    if module is None:
        return
    from folio_common.metrics import serve

    port = module.app.config["METRICS_PORT"]
    if serve(port) is not None:
        server.log.info("metrics on port %s", port)


def child_exit(server, worker):  # Gunicorn's hook signature
    from folio_common.metrics import mark_process_dead

    mark_process_dead(worker.pid)


def post_fork(server, worker):  # Gunicorn's hook signature
    """Drop database connections inherited from the preloaded master; each worker opens its own."""
    module = sys.modules.get("folio_web.wsgi")
    if module is None:  # the app was not preloaded: nothing was inherited
        return
    from folio_common.extensions import db

    app = module.app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    server.log.debug("worker %s disposed inherited database engines", worker.pid)
