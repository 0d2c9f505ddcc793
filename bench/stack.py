"""The stack under test: its env file and compose command, build, cold start, and what it reports
about itself (machine, Gunicorn settings, memory, image sizes)."""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import BENCH, PROJECT, ROOT, log, run
from bench.ports import free_port, free_subnet

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
