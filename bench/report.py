"""Targets and the Markdown report: each figure against its target, with the likely bottleneck."""

from __future__ import annotations

import json
import os
from typing import Any

from bench.cases import APP_PATH_CASES
from bench.common import IDLE_S, ONLY, WRK_THREADS


def cache_text(counts: dict[str, int]) -> str:
    """nginx's X-Cache-Status answers as shares, e.g. "HIT 99.9 %, UPDATING 0.1 %"."""
    total = sum(counts.values())
    if not total:
        return "–"
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{key} {value / total:.1%}" for key, value in ranked[:3])


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


def targets_table(rows: list[tuple[str, str, str, bool]]) -> list[str]:
    """The report's "Targets" section, of (target, measured, goal, met) rows, and its count."""
    lines = ["## Targets", "", "| Target | Measured | Goal | Result |", "|---|---|---|---|"]
    lines += [f"| {t} | {m} | {g} | {'PASS' if ok else 'MISS'} |" for t, m, g, ok in rows]
    met = sum(ok for *_, ok in rows)
    return [*lines, "", f"{met} of {len(rows)} targets met."]


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
    ]
    lines += targets_table([(r["name"], r["measured"], r["target"], r["ok"]) for r in rows])
    misses = [r for r in rows if not r["ok"]]
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
