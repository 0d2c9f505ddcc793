"""`make bench`: measure the built stack on this machine, as ratios to a baseline run alongside.

Starts compose.yaml + bench/compose.bench.yaml as project `folio-bench` on free 127.0.0.1 ports
(rate limits off, demo seed), times a cold start, loads it with wrk, measures Celery from inside
the web container, and writes bench/results/<date>-<sha>.md and .json. The stack and its volumes
are removed at the end whatever happens. Only the Python standard library is needed.

The baseline B is bench/hello.py under the web image's Gunicorn config, worker and thread counts
and CPU quota; every HTTP figure is also given as a ratio to B at the same connection count.

Settings (environment): BENCH_WARMUP (s, default 3), BENCH_DURATION (s per run, default 7),
BENCH_RUNS (default 3), BENCH_PROJECT (default folio-bench), BENCH_KEEP=1 (leave the stack up),
plus the base images PYTHON_IMAGE, NGINX_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
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
# Browsers always ask for compression; so does every request here, the baseline's included.
WRK_HEADERS = ["-H", "Accept-Encoding: gzip"]
# Any cookie makes nginx skip its micro-cache and the app not share the answer; a cookie that is
# not a session leaves the visitor anonymous, so pages still come from the Redis page cache.
BYPASS_COOKIE = "Cookie: bench=1"
APP_PATH_CASES = {
    "home_app": "home page from the Redis page cache",
    "api_post_app": "API one post, read and serialised",
}
IMAGES = {"web": "folio-web", "worker": "folio-worker", "nginx": "folio-nginx"}
BASES = {"web": "PYTHON_IMAGE", "worker": "PYTHON_IMAGE", "nginx": "NGINX_IMAGE"}
DEFAULT_BASES = {
    "PYTHON_IMAGE": "python:3.13-slim",
    "NGINX_IMAGE": "nginx:1.26",
    "POSTGRES_IMAGE": "postgres:17",
    "REDIS_IMAGE": "redis:8",
}
# Services whose CPU time is sampled during every load run.
SAMPLED = ("nginx", "web", "hello", "redis", "db", "worker", "beat")
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


# --- the machine and the tree -----------------------------------------------------------------


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        log("wrk is missing: apt-get install -y wrk")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        run([*sudo, "apt-get", "install", "-y", "wrk"], capture_output=False, stdout=sys.stderr)
    version = run(["wrk", "--version"], check=False)
    return (version.stdout + version.stderr).splitlines()[0].strip()


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text()
    total_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    docker = run(["docker", "version", "--format", "{{.Server.Version}}"], check=False)
    compose = run(["docker", "compose", "version", "--short"], check=False)
    return {
        "cores": os.cpu_count(),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "docker": docker.stdout.strip(),
        "compose": compose.stdout.strip(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_state() -> tuple[str, bool]:
    sha = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).stdout.strip()
    inputs = ["common", "web", "worker", "nginx", "pyproject.toml", "uv.lock"]
    status = run(["git", "-C", str(ROOT), "status", "--porcelain", "--", *inputs]).stdout
    return sha, bool(status.strip())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_subnet() -> str:
    """A /24 for the edge network that no Docker network on this host uses (scripts/lib.sh)."""
    return run(["bash", "-c", ". scripts/lib.sh && free_subnet"], cwd=ROOT).stdout.strip()


# --- the stack ----------------------------------------------------------------------------------


@dataclass
class Stack:
    workdir: Path
    tag: str
    env: dict[str, str]
    http_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    hello_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        static = self.workdir / "static"
        static.mkdir()
        # 1 KB of CSS, the size of a small stylesheet or script.
        rule = ".bench-rule { color: #333; margin: 0 auto; }\n"
        (static / "1k.css").write_text((rule * (1024 // len(rule) + 1))[:1023] + "\n")
        values = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
            **{name: self.env.get(name, default) for name, default in DEFAULT_BASES.items()},
            "REGISTRY": "local",
            "TAG": self.tag,
            "REVISION": self.tag,
            "HTTP_PORT": str(self.http_port),
            "SERVER_NAME": f"127.0.0.1:{self.http_port}",
            "PREFERRED_URL_SCHEME": "http",
            "EDGE_SUBNET": free_subnet(),
            # The figures are about throughput, not about the limiter refusing a load test.
            "RATELIMIT_ENABLED": "false",
            # No SMTP server here; no mail is sent during the benchmark anyway.
            "MAIL_BACKEND": "console",
            "BENCH_WEB_PORT": str(self.web_port),
            "BENCH_HELLO_PORT": str(self.hello_port),
            "BENCH_STATIC_DIR": str(static),
            # The app services read their settings from this same file (compose.yaml, env_file).
            "FOLIO_ENV_FILE": str(self.workdir / "bench.env"),
        }
        self.env_file = self.workdir / "bench.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        self.command = [
            "docker", "compose", "-p", PROJECT, "--env-file", str(self.env_file),
            "-f", str(ROOT / "compose.yaml"), "-f", str(BENCH / "compose.bench.yaml"),
        ]  # fmt: skip

    def compose(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return run([*self.command, *args], cwd=ROOT, **kwargs)

    def container_id(self, service: str) -> str | None:
        result = self.compose("--profile", "baseline", "ps", "-q", service, check=False)
        return result.stdout.strip() or None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http_port}{path}"


def image_exists(ref: str) -> bool:
    return run(["docker", "image", "inspect", ref], check=False).returncode == 0


def build(stack: Stack, dirty: bool) -> dict[str, Any]:
    refs = [f"local/{name}:{stack.tag}" for name in IMAGES.values()]
    if not dirty and all(image_exists(ref) for ref in refs):
        log(f"reusing images tagged {stack.tag}")
        return {"built": False, "seconds": 0.0}
    log(f"building images as local/folio-*:{stack.tag}")
    started = time.monotonic()
    stack.compose("build", "--quiet", capture_output=False, stdout=sys.stderr)
    return {"built": True, "seconds": round(time.monotonic() - started, 1)}


def compose_ps(stack: Stack) -> list[dict[str, Any]]:
    out = stack.compose("ps", "-a", "--format", "json", check=False).stdout.strip()
    if not out:
        return []
    if out.startswith("["):
        return json.loads(out)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def cold_start(stack: Stack) -> dict[str, Any]:
    """From built images and no volumes to every service healthy, per service too."""
    stack.compose("--profile", "baseline", "down", "-v", "--remove-orphans", check=False)
    log("cold start: up and wait from nothing")
    started = time.monotonic()
    up = subprocess.Popen(  # noqa: S603
        # As make up: the migration's exit is waited for on its own (scripts/lib.sh up_and_wait).
        [str(ROOT / "scripts" / "up.sh"), "180", *stack.command],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready: dict[str, float] = {}
    while up.poll() is None:
        for row in compose_ps(stack):
            service = row.get("Service", "")
            done = row.get("Health") == "healthy" or (
                row.get("State") == "exited" and row.get("ExitCode") == 0
            )
            if done and service not in ready:
                ready[service] = round(time.monotonic() - started, 1)
        time.sleep(0.25)
    total = round(time.monotonic() - started, 1)
    for row in compose_ps(stack):
        # Whatever turned healthy between the last poll and `up` returning.
        ready.setdefault(row.get("Service", ""), total)
    if up.returncode != 0:
        raise SystemExit(f"the stack did not become healthy: {up.stderr.read()[-2000:]}")
    log(f"all services healthy after {total}s")
    return {"seconds": total, "ready_after": dict(sorted(ready.items(), key=lambda kv: kv[1]))}


def seed(stack: Stack) -> None:
    stack.compose("exec", "-T", "web", "flask", "--app", "folio_web.wsgi", "seed")


def start_baseline(stack: Stack) -> None:
    stack.compose("--profile", "baseline", "up", "-d", "--wait", "--wait-timeout", "60", "hello")


def gunicorn_settings(stack: Stack) -> dict[str, Any]:
    """web's and hello's effective Gunicorn environment, CPU quota and worker processes."""
    config = json.loads(stack.compose("--profile", "baseline", "config", "--format", "json").stdout)
    found: dict[str, Any] = {}
    for service in ("web", "hello"):
        spec = config["services"][service]
        env = {k: v for k, v in (spec.get("environment") or {}).items() if k.startswith("GUNICORN")}
        env.pop("GUNICORN_BIND", None)
        limits = spec.get("deploy", {}).get("resources", {}).get("limits", {})
        found[service] = {
            "environment": env,
            "cpus": limits.get("cpus"),
            "mem_limit": limits.get("memory"),
            "workers": children_of_pid_1(stack, service),
        }
    web, hello = found["web"], found["hello"]
    mismatch = [key for key in ("environment", "cpus", "workers") if web[key] != hello[key]]
    if mismatch:
        raise SystemExit(f"baseline differs from web in {mismatch}: {web} vs {hello}")
    return found


def children_of_pid_1(stack: Stack, service: str) -> int:
    """Gunicorn's workers or Celery's pool processes: the main process is the container's PID 1."""
    count = (
        "import os, re; print(sum(1 for p in os.listdir('/proc') if p.isdigit() and "
        "re.search(r'^PPid:\\s+1$', open(f'/proc/{p}/status').read(), re.M)))"
    )
    return int(stack.compose("exec", "-T", service, "python", "-c", count).stdout)


def discover(stack: Stack) -> dict[str, str]:
    """URLs of real content: the post with the most comments and the most used tag."""

    def get(path: str) -> Any:
        with urllib.request.urlopen(stack.url(path), timeout=10) as response:  # noqa: S310
            return json.load(response)

    posts = get("/api/v1/posts?per_page=100")["data"]
    comments = {p["id"]: get(f"/api/v1/posts/{p['id']}/comments")["meta"]["total"] for p in posts}
    post = max(posts, key=lambda p: (comments[p["id"]], -p["id"]))
    tag = get("/api/v1/tags")["data"][0]
    return {
        "post_slug": post["slug"],
        "post_id": str(post["id"]),
        "post_comments": str(comments[post["id"]]),
        "tag_slug": tag["slug"],
        "tag_posts": str(tag["posts"]),
    }


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


# --- CPU accounting -----------------------------------------------------------------------------


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


# --- load ---------------------------------------------------------------------------------------


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
    cmd = [
        *prefix, "wrk", f"-t{WRK_THREADS}", f"-c{case.connections}", f"-d{seconds}s",
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


def cache_text(counts: dict[str, int]) -> str:
    """nginx's X-Cache-Status answers as shares, e.g. "HIT 99.9 %, UPDATING 0.1 %"."""
    total = sum(counts.values())
    if not total:
        return "–"
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{key} {value / total:.1%}" for key, value in ranked[:3])


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


def groups(cases: list[Case]) -> list[list[Case]]:
    """Each case alone, except the two /healthz cases, which are compared with each other."""
    paired = [c for c in cases if c.name.startswith("healthz")]
    alone = [[c] for c in cases if not c.name.startswith("healthz")]
    return alone + ([paired] if paired else [])


def http_cases(stack: Stack, content: dict[str, str]) -> list[Case]:
    hello = f"http://127.0.0.1:{stack.hello_port}/"
    direct = f"http://127.0.0.1:{stack.web_port}/healthz"
    cases = [Case("baseline", "B: hello world, straight to Gunicorn", hello, c) for c in (16, 64)]
    pages = [
        ("home", "Home page (anonymous)", "/"),
        (
            "post",
            f"Post page, {content['post_comments']} comments",
            f"/posts/{content['post_slug']}",
        ),
        ("tag", f"Tag page, {content['tag_posts']} posts", f"/tags/{content['tag_slug']}"),
    ]
    for connections in (16, 64):
        cases += [
            Case(n, label, stack.url(path), connections, cache_status=True)
            for n, label, path in pages
        ]
    api_post = stack.url(f"/api/v1/posts/{content['post_id']}")
    return cases + [
        Case("api_post", "API: one post", api_post, 64, cache_status=True),
        Case("api_list", "API: list page", stack.url("/api/v1/posts"), 64, cache_status=True),
        # The same requests with a cookie: nginx passes them on, so these price the app itself
        # (the Redis page cache for the page, a full read for the API).
        Case(
            "home_app",
            "Home page, past the micro-cache (cookie)",
            stack.url("/"),
            64,
            headers=(BYPASS_COOKIE,),
            cache_status=True,
        ),
        Case(
            "api_post_app",
            "API: one post, past the micro-cache (cookie)",
            api_post,
            64,
            headers=(BYPASS_COOKIE,),
            cache_status=True,
        ),
        Case("static", "1 KB static file", stack.url("/static/_bench/1k.css"), 64),
        Case("healthz_nginx", "/healthz through nginx", stack.url("/healthz"), 64),
        Case("healthz_direct", "/healthz straight to Gunicorn", direct, 64),
    ]


# --- Celery, memory, images -------------------------------------------------------------------


def celery_figures(stack: Stack, meter: CpuMeter) -> dict[str, Any]:
    """One probe run per phase, so the worker's CPU is measured over the throughput run alone."""
    log("celery: enqueue cost, no-op throughput, enqueue -> start latency")
    script = (BENCH / "celery_probe.py").read_text()
    figures: dict[str, Any] = {}
    for phase in ("enqueue", "throughput", "latency"):
        before = meter.snapshot()
        result = stack.compose(
            "exec", "-T", "-e", f"BENCH_PHASES={phase}", "web", "python", "-",
            input=script, timeout=300,
        )  # fmt: skip
        cpu = CpuMeter.delta(before, meter.snapshot())
        line = next(
            line
            for line in reversed(result.stdout.splitlines())
            if line.startswith("BENCH-RESULT ")
        )
        figures.update(json.loads(line.removeprefix("BENCH-RESULT ")))
        log(f"  {phase}: {figures[phase]}")
        if phase == "throughput":
            # CPU seconds spent while the probe ran, over the seconds the drain took.
            seconds = cpu["seconds"]
            drain = figures[phase]["drain_seconds"]
            figures[phase]["cores_while_draining"] = {
                service: round(cpu["cores"].get(service, 0) * seconds / drain, 2)
                for service in ("worker", "redis")
            }
            figures[phase]["worker_throttled_periods"] = cpu["throttled_periods"].get("worker", 0)
    figures["worker_concurrency"] = children_of_pid_1(stack, "worker")
    config = json.loads(stack.compose("config", "--format", "json").stdout)
    figures["worker_cpus"] = config["services"]["worker"].get("cpus")
    figures["worker_command"] = config["services"]["worker"].get("command")
    return figures


def _mib(text: str) -> float:
    number, unit = re.match(r"([\d.]+)\s*([A-Za-z]+)", text).groups()  # type: ignore[union-attr]
    scale = {"B": 1 / 2**20, "KiB": 1 / 1024, "kB": 1 / 1024, "MiB": 1, "MB": 1, "GiB": 1024}
    return float(number) * scale.get(unit, 1)


def memory(stack: Stack) -> dict[str, Any]:
    ids = {}
    for row in compose_ps(stack):
        if row.get("State") == "running" and row.get("Service") != "hello":
            ids[row["ID"]] = row["Service"]
    out = run(["docker", "stats", "--no-stream", "--format", "{{json .}}", *ids]).stdout
    services: dict[str, float] = {}
    for line in out.splitlines():
        row = json.loads(line)
        service = ids.get(row["ID"]) or next(s for i, s in ids.items() if i.startswith(row["ID"]))
        services[service] = round(_mib(row["MemUsage"].split("/")[0]), 1)
    return {"services": dict(sorted(services.items())), "total_mib": round(sum(services.values()))}


def wait_idle(stack: Stack, seconds: float) -> None:
    """Let the stack settle: the last requests finish and Gunicorn's workers go quiet."""
    time.sleep(seconds)


def image_sizes(stack: Stack) -> dict[str, Any]:
    def size(ref: str) -> int:
        return int(run(["docker", "image", "inspect", "--format", "{{.Size}}", ref]).stdout)

    sizes = {}
    for service, name in IMAGES.items():
        base_var = BASES[service]
        base = stack.env.get(base_var, DEFAULT_BASES[base_var])
        image, base_size = size(f"local/{name}:{stack.tag}"), size(base)
        sizes[name] = {
            "base": base,
            "image_mb": round(image / 1e6, 1),
            "base_mb": round(base_size / 1e6, 1),
            "added_mb": round((image - base_size) / 1e6, 1),
        }
    return sizes


# --- targets and report -------------------------------------------------------------------------


def cpu_per_request_us(case: dict[str, Any], service: str) -> float:
    """CPU microseconds one request cost a service, from the median run's counters."""
    cores = case["cpu"]["cores"].get(service, 0)
    return cores / case["rps"] * 1e6 if case["rps"] else 0.0


def bottleneck(case: dict[str, Any], baseline: dict[str, Any], quota: float) -> str:
    cpu = case["cpu"]
    cores = cpu["cores"]
    parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(cores.items(), key=lambda kv: -kv[1]))
    busy = cpu["host_busy"] or 0
    notes = [f"host CPU {busy:.0%} busy; cores used: {parts}"]
    app = "hello" if case["name"] == "baseline" else "web"
    if cores.get(app, 0) >= 0.9 * quota:
        throttled = cpu["throttled_periods"].get(app, 0)
        notes.append(
            f"Gunicorn is at its {quota:g}-CPU quota (throttled in {throttled} CFS periods), "
            f"so throughput is quota ÷ CPU per request: {cpu_per_request_us(case, app):.0f} µs "
            f"per request against B's {cpu_per_request_us(baseline, 'hello'):.0f} µs"
        )
    if busy >= 0.9:
        notes.append(
            f"the machine's {os.cpu_count()} cores are saturated by wrk, nginx and the app "
            "together "
            f"(nginx {cpu_per_request_us(case, 'nginx'):.0f} µs per request)"
        )
    return "; ".join(notes)


def queueing(case: dict[str, Any], baseline: dict[str, Any]) -> str:
    """Little's law: with every connection busy, latency is connections / throughput."""
    floor = case["connections"] / case["rps"] * 1000
    return (
        f"with {case['connections']} connections always waiting, the mean latency is at least "
        f"{case['connections']} / {case['rps']:.0f} req/s = {floor:.0f} ms (Little's law); "
        f"even B has p99 {baseline['p99_ms']:.1f} ms at 64 connections here"
    )


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    http = {(c["name"], c["connections"]): c for c in report["http"]}
    quota = float(report["gunicorn"]["web"]["cpus"] or os.cpu_count() or 1)
    rows: list[dict[str, Any]] = []

    def add(name: str, measured: str, target: str, ok: bool, case: dict | None = None) -> None:
        baseline = http[("baseline", case["connections"])] if case else None
        why = "" if ok or case is None else bottleneck(case, baseline, quota)  # type: ignore[arg-type]
        if why and "p99" in name:
            why += "; " + queueing(case, http[("baseline", 64)])  # type: ignore[arg-type]
        rows.append({"name": name, "measured": measured, "target": target, "ok": ok, "why": why})

    def ratio(name: str, connections: int) -> float:
        return http[(name, connections)]["rps"] / http[("baseline", connections)]["rps"]

    # A subset of the cases (BENCH_CASES) is for trying a change out; targets need them all.
    if not ONLY:
        for page in ("home", "post", "tag"):
            for connections in (16, 64):
                r = ratio(page, connections)
                add(f"{page} page req/s @{connections}", f"{r:.2f} × B", "≥ 0.8 × B", r >= 0.8,
                    http[(page, connections)])  # fmt: skip
            p99 = http[(page, 64)]["p99_ms"]
            add(f"{page} page p99 @64", f"{p99:.1f} ms", "≤ 25 ms", p99 <= 25, http[(page, 64)])
        r = ratio("api_post", 64)
        add("API one post req/s @64", f"{r:.2f} × B", "≥ 0.5 × B", r >= 0.5, http[("api_post", 64)])
        p99 = http[("api_post", 64)]["p99_ms"]
        add("API one post p99 @64", f"{p99:.1f} ms", "≤ 50 ms", p99 <= 50, http[("api_post", 64)])
        r = ratio("static", 64)
        add("1 KB static file req/s @64", f"{r:.1f} × B", "≥ 10 × B", r >= 10, http[("static", 64)])
        r = http[("healthz_nginx", 64)]["rps"] / http[("healthz_direct", 64)]["rps"]
        add(
            "/healthz via nginx ÷ direct",
            f"{r:.2f}",
            "≥ 0.9",
            r >= 0.9,
            http[("healthz_nginx", 64)],
        )

    celery = report["celery"]
    tps = celery["throughput"]["tasks_per_second"]
    add("no-op tasks/s (2 processes)", f"{tps:.0f}/s", "≥ 500/s", tps >= 500)
    cost = celery["enqueue"]["enqueue_and_commit"]["p50_ms"]
    add("enqueue in a request (p50)", f"{cost:.2f} ms", "≤ 1 ms", cost <= 1)
    start = celery["latency"]["enqueue_to_start"]["p50_ms"]
    add("enqueue → start p50", f"{start:.1f} ms", "≤ 10 ms", start <= 10)
    cold = report["cold_start"]["seconds"]
    add("cold start to all healthy", f"{cold:.1f} s", "≤ 30 s", cold <= 30)
    idle = report["memory_idle"]["total_mib"]
    idle_mb = idle * 2**20 / 1e6
    add("whole stack idle memory", f"{idle_mb:.0f} MB", "≤ 700 MB", idle_mb <= 700)
    explain_misses(rows, report)
    return rows


def explain_misses(rows: list[dict[str, Any]], report: dict[str, Any]) -> None:
    """Bottlenecks for the targets that have no load run behind them."""
    for row in rows:
        if row["ok"] or row["why"]:
            continue
        if row["name"].startswith("cold start"):
            ready = report["cold_start"]["ready_after"]
            row["why"] = "services ready after (s): " + ", ".join(
                f"{k} {v}" for k, v in ready.items()
            )
        elif row["name"].startswith("whole stack"):
            mem = report["memory_idle"]["services"]
            row["why"] = "per container (MiB): " + ", ".join(
                f"{k} {v}" for k, v in sorted(mem.items(), key=lambda kv: -kv[1])
            )
        elif row["name"].startswith("no-op"):
            through = report["celery"]["throughput"]
            cores = through.get("cores_while_draining", {})
            row["why"] = (
                f"while draining, the worker used {cores.get('worker', 0):.2f} cores (its quota: "
                f"{report['celery'].get('worker_cpus')}, throttled in "
                f"{through.get('worker_throttled_periods', 0)} CFS periods) and Redis "
                f"{cores.get('redis', 0):.2f}; each no-op costs the worker's main process a "
                "fetch, a hand-over to a pool process and an acknowledgement"
            )
        else:
            row["why"] = "see the Celery section for the distribution"


def app_path_lines(report: dict[str, Any]) -> list[str]:
    """The same requests past the micro-cache: what the app alone manages, for the record."""
    http = {(c["name"], c["connections"]): c for c in report["http"]}
    base = http.get(("baseline", 64))
    found = [(http.get((n, 64)), what) for n, what in APP_PATH_CASES.items()]
    found = [(case, what) for case, what in found if case is not None]
    if base is None or not found:
        return []
    lines = ["", "Past the micro-cache (a cookie on every request), at 64 connections:"]
    for case, what in found:
        lines.append(
            f"- {what}: {case['rps'] / base['rps']:.2f} × B, p99 {case['p99_ms']:.0f} ms, "
            f"{cpu_per_request_us(case, 'web'):.0f} µs of web CPU per request "
            f"(B: {cpu_per_request_us(base, 'hello'):.0f} µs)."
        )
    return lines


def ratio_text(value: float, base: float | None) -> str:
    return f"{value / base:.2f}" if base else "–"


def markdown(report: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    m = report["machine"]
    g = report["gunicorn"]["web"]
    lines = [
        f"# Folio benchmark {report['date']} at {report['revision']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB RAM, "
        f"kernel {m['kernel']}, Docker {m['docker']}, Compose {m['compose']}, {report['wrk']}. "
        f"Load average at start: {m['load_average_at_start']}.",
        "",
        f"Images: local/folio-*:{report['tag']}"
        + (" (built from a working tree with uncommitted changes)" if report["dirty"] else "")
        + f". Gunicorn in web and in the baseline: {g['workers']} workers × "
        f"{g['environment'].get('GUNICORN_THREADS') or 'default'} threads (gthread), "
        f"CPU quota {g['cpus']}. Worker: {report['celery']['worker_concurrency']} processes.",
        "",
        f"Method: wrk to {report['method'].get('client', '127.0.0.1')}, "
        f"{WRK_THREADS} threads, `Accept-Encoding: gzip`, {report['method']['warmup_s']} s "
        f"warm-up (discarded) then {report['method']['runs']} runs of "
        f"{report['method']['duration_s']} s per case; every figure is the median of the runs. "
        "B is bench/hello.py under the same Gunicorn config, worker and thread count and CPU "
        "quota as web, loaded straight (no nginx). Rate limits are off "
        "(`RATELIMIT_ENABLED=false`); the stack holds the demo seed. Anonymous pages and API "
        "reads are answered by nginx's micro-cache (EDGE_CACHE_SECONDS, 1 s by default), which "
        'goes back to the app once a second per URL; the cases marked "past the micro-cache" '
        "send a cookie, so they price the app itself (pages then come from the Redis page cache).",
        "",
        "## Targets",
        "",
        "| Target | Measured | Goal | Result |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['name']} | {r['measured']} | {r['target']} | {'PASS' if r['ok'] else 'MISS'} |"
        for r in rows
    ]
    misses = [r for r in rows if not r["ok"]]
    lines += ["", f"{len(rows) - len(misses)} of {len(rows)} targets met."]
    lines += app_path_lines(report)
    if misses:
        lines += [
            "",
            "### Misses and what limits them",
            "",
            "Measured by the counters of the median run; docs/performance.md explains why these "
            "cannot be met on this machine and what would move them.",
            "",
        ]
        lines += [
            f"- **{r['name']}**: {r['measured']} (goal {r['target']}). {r['why']}." for r in misses
        ]
    lines += [
        "",
        "## HTTP",
        "",
        "| Case | Conns | req/s | × B | p50 ms | p99 ms | failed | host CPU "
        "| cores (wrk / nginx / app) | app CPU µs/req | nginx micro-cache |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {c["connections"]: c["rps"] for c in report["http"] if c["name"] == "baseline"}
    for c in report["http"]:
        cores = c["cpu"]["cores"]
        app_cores = cores.get("hello") if c["name"] == "baseline" else cores.get("web")
        lines.append(
            f"| {c['label']} | {c['connections']} | {c['rps']:.0f} | "
            f"{ratio_text(c['rps'], base.get(c['connections']))} | {c['p50_ms']:.1f} | "
            f"{c['p99_ms']:.1f} | "
            f"{c['failed_requests']} | {(c['cpu']['host_busy'] or 0):.0%} | "
            f"{cores.get('wrk', 0):.2f} / {cores.get('nginx', 0):.2f} / {app_cores or 0:.2f} | "
            f"{cpu_per_request_us(c, 'hello' if c['name'] == 'baseline' else 'web'):.0f} | "
            f"{cache_text(c.get('cache_status', {}))} |"
        )
    cel = report["celery"]
    lines += [
        "",
        "## Celery",
        "",
        f"- No-op throughput: {cel['throughput']['tasks_per_second']:.0f} tasks/s "
        f"({cel['throughput']['tasks']} tasks queued while the consumer was paused, drained in "
        f"{cel['throughput']['drain_seconds']} s; prefetch multiplier "
        f"{cel['prefetch_multiplier']}, acks_late {cel['acks_late']}).",
        f"- Enqueue inside a request (`enqueue()` + the commit that sends it): p50 "
        f"{cel['enqueue']['enqueue_and_commit']['p50_ms']} ms, p99 "
        f"{cel['enqueue']['enqueue_and_commit']['p99_ms']} ms; the same commit with nothing to "
        f"send: p50 {cel['enqueue']['commit_alone']['p50_ms']} ms.",
        f"- Enqueue → task started (idle worker, one task every "
        f"{cel['latency']['spacing_ms']:.0f} ms): p50 "
        f"{cel['latency']['enqueue_to_start']['p50_ms']} ms, p99 "
        f"{cel['latency']['enqueue_to_start']['p99_ms']} ms over {cel['latency']['tasks']} tasks.",
        "",
        "## The stack",
        "",
        f"Cold start (`down -v`, then `up -d --wait`): {report['cold_start']['seconds']} s. "
        "Ready after (s): "
        + ", ".join(f"{k} {v}" for k, v in report["cold_start"]["ready_after"].items())
        + ".",
        "",
        "| Image | Base | Image MB | Added over base MB |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {s['base']} | {s['image_mb']} | {s['added_mb']} |"
        for name, s in report["images"].items()
    ]
    lines += [
        "",
        "| Container | Idle MiB (after start) | Idle MiB (after the load) "
        f"| Idle CPU cores (over {IDLE_S} s) |",
        "|---|---|---|---|",
    ]
    after = report["memory_after_load"]["services"]
    idle_cpu = report["cpu_idle"]["cores"]
    for service, mib in report["memory_idle"]["services"].items():
        lines.append(
            f"| {service} | {mib} | {after.get(service, '')} | {idle_cpu.get(service, '–')} |"
        )
    lines.append(
        f"| **total** | **{report['memory_idle']['total_mib']}** | "
        f"**{report['memory_after_load']['total_mib']}** | |"
    )
    lines += [
        "",
        "## Rerun",
        "",
        "```",
        *report["commands"],
        "```",
        "",
        f"Content loaded: {json.dumps(report['content'])}. "
        "Raw runs: the JSON file beside this one.",
        "",
    ]
    return "\n".join(lines)


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
            "make bench            # = python3 bench/run.py",
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
