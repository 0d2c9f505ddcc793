"""`make bench`: measure the built stack on this machine, as ratios to a baseline run alongside.

Starts compose.yaml + bench/compose.bench.yaml as project `folio-bench` on free 127.0.0.1 ports
(rate limits off, demo seed), times a cold start, loads it with wrk, measures Celery from inside
the web container, and writes bench/results/<date>-<sha>.md and .json. The stack and its volumes
are removed at the end whatever happens. Only the Python standard library is needed.

The baseline B is bench/hello.py under the web image's Gunicorn config, worker and thread counts
and CPU quota; every HTTP figure is also given as a ratio to B at the same connection count.

The parts: bench/common.py (paths, settings, log, run), bench/stack.py (the stack, its build and
cold start), bench/load.py (wrk and the CPU meter), bench/cases.py (what is measured) and
bench/report.py (targets and the Markdown report); bench/ports.py picks free ports and subnets.

Settings (environment): BENCH_WARMUP (s, default 3), BENCH_DURATION (s per run, default 7),
BENCH_RUNS (default 3), BENCH_PROJECT (default folio-bench), BENCH_KEEP=1 (leave the stack up),
plus the base images PYTHON_IMAGE, NGINX_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.cases import celery_figures, discover, groups, http_cases
from bench.common import (
    DURATION_S,
    IDLE_S,
    KEEP,
    ONLY,
    PROJECT,
    RESULTS,
    ROOT,
    RUNS,
    WARMUP_S,
    WRK_THREADS,
    log,
    run,
)
from bench.load import Case, Client, CpuMeter, ensure_wrk, make_client, measure, probe, wrk
from bench.report import evaluate, markdown
from bench.stack import (
    IMAGES,
    SAMPLED,
    Stack,
    build,
    cold_start,
    git_state,
    gunicorn_settings,
    image_sizes,
    machine,
    memory,
    seed,
    start_baseline,
    wait_idle,
)

# bench/scale/run.py reads these from here (`from bench import run as bench`).
__all__ = [
    "KEEP",
    "RESULTS",
    "ROOT",
    "SAMPLED",
    "WRK_THREADS",
    "Case",
    "Client",
    "CpuMeter",
    "Stack",
    "build",
    "ensure_wrk",
    "git_state",
    "log",
    "machine",
    "make_client",
    "run",
    "start_baseline",
    "wrk",
]


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    wrk_version = ensure_wrk()
    sha, dirty = git_state()
    tag = f"bench-{sha}-dirty" if dirty else sha
    workdir = Path(tempfile.mkdtemp(prefix="folio-bench-"))
    stack = Stack(workdir=workdir, tag=tag, env=dict(os.environ))
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": sha,
        "dirty": dirty,
        "tag": tag,
        "wrk": wrk_version,
        "machine": machine(),
        "method": {
            "warmup_s": WARMUP_S,
            "duration_s": DURATION_S,
            "runs": RUNS,
            "wrk_threads": WRK_THREADS,
        },  # fmt: skip
        "commands": [
            "set -a; . ./.offline-images.env; set +a   # only where base images are offline copies",
            "make bench            # = python3 -m bench.run",
            f"# inside: docker compose -p {PROJECT} --env-file <tmp>/bench.env "
            "-f compose.yaml -f bench/compose.bench.yaml up -d --wait",
            f"# each case: [nsenter -t <container pid> -n] wrk -t{WRK_THREADS} -c<16|64> "
            f"-d{DURATION_S}s --timeout 5s -H 'Accept-Encoding: gzip' -s bench/report.lua "
            "http://127.0.0.1:<8080 nginx | 8000 web or hello>/<path>",
        ],
    }

    def teardown() -> None:
        if KEEP:
            log(f"kept project {PROJECT}; env file {stack.env_file}")
            return
        log("removing the stack and its volumes")
        stack.compose("--profile", "baseline", "down", "-v", "--remove-orphans", "--timeout", "20",
                      check=False)  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)
        if dirty:
            # Tags of a working tree are one-offs; the layers stay in the build cache for reuse.
            refs = [f"local/{name}:{tag}" for name in IMAGES.values()]
            run(["docker", "image", "rm", *refs], check=False)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        report["build"] = build(stack, dirty)
        report["cold_start"] = cold_start(stack)
        seed(stack)
        idle_meter = CpuMeter({s: cid for s in SAMPLED if (cid := stack.container_id(s))})
        before = idle_meter.snapshot()
        wait_idle(stack, IDLE_S)
        report["cpu_idle"] = CpuMeter.delta(before, idle_meter.snapshot())
        report["memory_idle"] = memory(stack)
        start_baseline(stack)
        report["gunicorn"] = gunicorn_settings(stack)
        report["content"] = discover(stack)
        report["images"] = image_sizes(stack)
        cases = [c for c in http_cases(stack, report["content"]) if not ONLY or c.name in ONLY]
        report["probes"] = {c.name: probe(c) for c in cases}
        containers = {s: cid for s in SAMPLED if (cid := stack.container_id(s))}
        meter = CpuMeter(containers)
        client = make_client(stack)
        report["method"]["client"] = client.mode
        log(f"wrk connects to {client.mode}")
        report["http"] = [
            result for group in groups(cases) for result in measure(group, meter, client)
        ]
        report["celery"] = celery_figures(stack, meter)
        wait_idle(stack, IDLE_S)
        report["memory_after_load"] = memory(stack)
    finally:
        teardown()
    rows = evaluate(report)
    report["targets"] = rows
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{dt.datetime.now(dt.UTC):%Y-%m-%d}-{sha}{'-subset' if ONLY else ''}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report, rows))
    passed = sum(r["ok"] for r in rows)
    log(f"{passed}/{len(rows)} targets met; report: {stem.with_suffix('.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
