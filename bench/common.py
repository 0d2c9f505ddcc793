"""Paths, settings from the environment, and the two helpers every part uses: log and run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


BENCH = ROOT / "bench"


RESULTS = BENCH / "results"


PROJECT = os.environ.get("BENCH_PROJECT", "folio-bench")


WARMUP_S = int(os.environ.get("BENCH_WARMUP", "3"))


DURATION_S = int(os.environ.get("BENCH_DURATION", "7"))


RUNS = int(os.environ.get("BENCH_RUNS", "3"))


KEEP = os.environ.get("BENCH_KEEP") == "1"


# A comma-separated subset of the HTTP cases (e.g. "baseline,home"), for trying out one change.
ONLY = {name for name in os.environ.get("BENCH_CASES", "").split(",") if name}


WRK_THREADS = 2


# Seconds the stack is left alone before its idle memory and CPU are read.
IDLE_S = 15


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("check", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("capture_output", True)
    try:
        return subprocess.run(cmd, **kwargs)  # noqa: S603 - fixed commands built here
    except subprocess.CalledProcessError as error:
        output = ((error.stdout or "") + (error.stderr or ""))[-3000:]
        raise SystemExit(f"failed ({error.returncode}): {' '.join(cmd)}\n{output}") from error
