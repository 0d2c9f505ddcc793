"""The load client: wrk (from inside the serving container's network namespace when it can) and
the CPU meter read around every run."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import BENCH, DURATION_S, RUNS, WARMUP_S, WRK_THREADS, log, run
from bench.stack import Stack

# Browsers always ask for compression; so does every request here, the baseline's included.
WRK_HEADERS = ["-H", "Accept-Encoding: gzip"]


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        log("wrk is missing: apt-get install -y wrk")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        run([*sudo, "apt-get", "install", "-y", "wrk"], capture_output=False, stdout=sys.stderr)
    version = run(["wrk", "--version"], check=False)
    return (version.stdout + version.stderr).splitlines()[0].strip()


def probe(case: Case) -> dict[str, Any]:
    """One request before loading a case: it must answer 200; note what a cache would see."""
    headers = dict(h.split(": ", 1) for h in case.headers)
    request = urllib.request.Request(  # noqa: S310
        case.url, headers={"Accept-Encoding": "gzip", **headers}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body = response.read()
        return {
            "status": response.status,
            "bytes": len(body),
            "content_encoding": response.headers.get("Content-Encoding"),
            "sets_cookie": response.headers.get("Set-Cookie") is not None,
            "x_cache_status": response.headers.get("X-Cache-Status"),
        }


def _cgroup_usage_ns(container: str) -> tuple[int, int] | None:
    """(CPU time used, CFS periods throttled) of a container, cgroup v1 or v2."""
    v1 = Path("/sys/fs/cgroup/cpuacct/docker") / container / "cpuacct.usage"
    if v1.exists():
        throttled = 0
        stat = Path("/sys/fs/cgroup/cpu/docker") / container / "cpu.stat"
        if stat.exists():
            throttled = int(re.search(r"nr_throttled (\d+)", stat.read_text()).group(1))  # type: ignore[union-attr]
        return int(v1.read_text()), throttled
    for v2 in (
        Path("/sys/fs/cgroup/system.slice") / f"docker-{container}.scope" / "cpu.stat",
        Path("/sys/fs/cgroup/docker") / container / "cpu.stat",
    ):
        if v2.exists():
            text = v2.read_text()
            usage = int(re.search(r"usage_usec (\d+)", text).group(1)) * 1000  # type: ignore[union-attr]
            throttled = re.search(r"nr_throttled (\d+)", text)
            return usage, int(throttled.group(1)) if throttled else 0
    return None


def _host_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


class CpuMeter:
    """CPU used by each service, the load generator and the whole host over one load run."""

    def __init__(self, containers: dict[str, str]) -> None:
        self.containers = containers

    def snapshot(self) -> dict[str, Any]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "at": time.monotonic(),
            "host": _host_ticks(),
            "wrk": children.ru_utime + children.ru_stime,
            "services": {s: _cgroup_usage_ns(c) for s, c in self.containers.items()},
        }

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        seconds = after["at"] - before["at"]
        total = after["host"][0] - before["host"][0]
        idle = after["host"][1] - before["host"][1]
        cores: dict[str, float] = {"wrk": round((after["wrk"] - before["wrk"]) / seconds, 2)}
        throttled: dict[str, int] = {}
        for service, start in before["services"].items():
            end = after["services"].get(service)
            if start is None or end is None:
                continue
            cores[service] = round((end[0] - start[0]) / 1e9 / seconds, 2)
            throttled[service] = end[1] - start[1]
        return {
            "seconds": round(seconds, 2),
            "host_busy": round(1 - idle / total, 3) if total else None,
            "cores": cores,
            "throttled_periods": throttled,
        }


@dataclass
class Case:
    name: str
    label: str
    url: str
    connections: int
    # Extra request headers, e.g. a cookie that makes nginx pass the request to the app.
    headers: tuple[str, ...] = ()
    # Count nginx's X-Cache-Status answers (what the micro-cache did); costs wrk some CPU.
    cache_status: bool = False


@dataclass
class Client:
    """Where wrk connects from.

    Docker's userland proxy carries every connection to a port published on 127.0.0.1, and at
    load it burns most of a core (0.7 of one at 18 k req/s, halving the static file's rate). So,
    when it can (root and nsenter), wrk joins the serving container's network namespace and loads
    127.0.0.1 there: still loopback, the same path for B and for Folio, and no proxy that
    production traffic would not cross. Otherwise it uses the published ports.
    """

    netns: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        if self.netns:
            return "127.0.0.1 inside the serving container's network namespace (nsenter -n)"
        return "127.0.0.1 through the ports published by Docker"

    def target(self, url: str) -> tuple[list[str], str]:
        parts = urllib.parse.urlsplit(url)
        if parts.port not in self.netns:
            return [], url
        pid, port = self.netns[parts.port]
        inner = parts._replace(netloc=f"127.0.0.1:{port}").geturl()
        return ["nsenter", "-t", str(pid), "-n"], inner


def make_client(stack: Stack) -> Client:
    if os.geteuid() != 0 or shutil.which("nsenter") is None:
        return Client()
    netns = {}
    for published, service, port in (
        (stack.http_port, "nginx", 8080),
        (stack.web_port, "web", 8000),
        (stack.hello_port, "hello", 8000),
    ):
        container = stack.container_id(service)
        if container is None:
            return Client()
        pid = run(["docker", "inspect", "--format", "{{.State.Pid}}", container]).stdout.strip()
        netns[published] = (int(pid), port)
    return Client(netns)


def wrk(client: Client, case: Case, seconds: int) -> dict[str, Any]:
    url = case.url
    prefix, target = client.target(url)
    extra = [arg for header in case.headers for arg in ("-H", header)]
    script_args = ["--", "cache-status"] if case.cache_status else []
    threads = min(WRK_THREADS, case.connections)  # wrk needs a connection per thread
    cmd = [
        *prefix, "wrk", f"-t{threads}", f"-c{case.connections}", f"-d{seconds}s",
        "--timeout", "5s", *WRK_HEADERS, *extra, "-s", str(BENCH / "report.lua"), target,
        *script_args,
    ]  # fmt: skip
    out = run(cmd, timeout=seconds + 60).stdout
    line = next((line for line in reversed(out.splitlines()) if line.startswith("{")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary for {url}:\n{out[-2000:]}")
    result = json.loads(line)
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["failed"] = sum(result["errors"].values())
    return result


def measure(group: list[Case], meter: CpuMeter, client: Client) -> list[dict[str, Any]]:
    """Warm up, then RUNS timed runs per case; the cases of a group take turns run by run, so a
    ratio between them (nginx against direct) is not skewed by the machine's load drifting."""
    for case in group:
        log(f"{case.name} @ {case.connections} connections: {case.url}")
        wrk(client, case, WARMUP_S)
    runs: dict[str, list[dict[str, Any]]] = {case.name: [] for case in group}
    for _ in range(RUNS):
        for case in group:
            before = meter.snapshot()
            result = wrk(client, case, DURATION_S)
            result["cpu"] = CpuMeter.delta(before, meter.snapshot())
            runs[case.name].append(result)
    return [summarize(case, runs[case.name]) for case in group]


def summarize(case: Case, runs: list[dict[str, Any]]) -> dict[str, Any]:
    by_rps = sorted(runs, key=lambda r: r["rps"])
    summary = {
        "name": case.name,
        "label": case.label,
        "url": case.url,
        "connections": case.connections,
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["latency_us"]["p50"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["latency_us"]["p99"] for r in runs) / 1000,
        "failed_requests": sum(r["failed"] for r in runs),
        "headers": list(case.headers),
        "cache_status": dict(sum((Counter(r.get("cache_status", {})) for r in runs), Counter())),
        # CPU counters of the median run, for finding the bottleneck.
        "cpu": by_rps[len(by_rps) // 2]["cpu"],
        "runs": runs,
    }
    log(
        f"  {case.name} @ {case.connections}: {summary['rps']:.0f} req/s, "
        f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, "
        f"cpu {summary['cpu']['cores']}"
    )
    return summary
