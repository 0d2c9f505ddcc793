"""What is measured: the HTTP cases on real seeded content, and the Celery figures."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from bench.common import BENCH, log
from bench.load import Case, CpuMeter
from bench.stack import Stack, children_of_pid_1

# Any cookie makes nginx skip its micro-cache and the app not share the answer; a cookie that is
# not a session leaves the visitor anonymous, so pages still come from the Redis page cache.
BYPASS_COOKIE = "Cookie: bench=1"


APP_PATH_CASES = {
    "home_app": "home page from the Redis page cache",
    "api_post_app": "API one post, read and serialised",
}


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
