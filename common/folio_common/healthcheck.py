"""`folio-healthcheck web|worker|beat|exporter`: the container health checks compose runs.

Docker starts this every few seconds in every container, so it imports only the standard
library (about 30 ms of CPU, where importing Flask or Celery would cost a second) and answers
with its exit status alone.
"""

from __future__ import annotations

import glob
import os
import sys
import time
import urllib.request

# The worker's consumer touches WORKER_LIVENESS_FILE every 5 s (folio_worker/liveness.py).
WORKER_STALE_AFTER_S = 30
# Beat ticks at least every 30 s and saves its schedule (compose's --schedule) every 3 minutes.
BEAT_SCHEDULE = "/var/lib/folio/beat/schedule"
BEAT_STALE_AFTER_S = 300
HTTP_TIMEOUT_S = 5


def answers(port: str, path: str) -> bool:
    """Whether 127.0.0.1:`port` answers `path` with 200 in time."""
    try:
        # A fixed loopback address: nothing from outside chooses where this goes.
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}{path}", timeout=HTTP_TIMEOUT_S
        ) as response:
            return response.status == 200
    except OSError:
        return False


def web() -> bool:
    """Gunicorn answers /healthz on the port it binds (GUNICORN_BIND, as the image sets it)."""
    return answers(os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1], "/healthz")


def exporter() -> bool:
    """folio_worker.exporter serves /metrics on METRICS_PORT (compose.monitoring.yaml)."""
    return answers(os.environ.get("METRICS_PORT") or "9100", "/metrics")


def touched_within(paths: list[str], seconds: float) -> bool:
    """Whether the newest of `paths` was modified less than `seconds` ago (False if none exist)."""
    times = [os.path.getmtime(path) for path in paths if os.path.exists(path)]
    return bool(times) and time.time() - max(times) < seconds


def worker() -> bool:
    path = os.environ.get("WORKER_LIVENESS_FILE", "")
    return bool(path) and touched_within([path], WORKER_STALE_AFTER_S)


def beat() -> bool:
    # The schedule is a shelve file: one file or several (schedule.db, .dat, ...) by backend.
    return touched_within(glob.glob(BEAT_SCHEDULE + "*"), BEAT_STALE_AFTER_S)


CHECKS = {"web": web, "worker": worker, "beat": beat, "exporter": exporter}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in CHECKS:
        print(f"usage: folio-healthcheck {'|'.join(CHECKS)}", file=sys.stderr)
        return 2
    return 0 if CHECKS[args[0]]() else 1


if __name__ == "__main__":
    sys.exit(main())
