"""Celery figures, measured from inside the web container (the real producer) by bench/cases.py.

Run as `docker compose exec -T web python - < bench/celery_probe.py`; prints one line
`BENCH-RESULT {json}` at the end. Three measurements (BENCH_PHASES picks some):

- enqueue cost: `enqueue("folio.noop")` plus the commit that sends it, inside a request context,
  against the same commit with nothing to send;
- throughput: the worker's consumer is paused, the queue filled with no-op tasks, the consumer
  resumed, and the time until the queue and the broker's unacked set are empty is taken;
- enqueue -> start: with worker events switched on, tasks are sent one at a time, spaced out so
  the worker is idle, and each send time is compared with the worker's task-started event.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import uuid

import redis

from folio_common.extensions import db
from folio_common.queue import enqueue
from folio_web.wsgi import app

TASK = "folio.noop"
THROUGHPUT_TASKS = int(os.environ.get("BENCH_NOOP_TASKS", "3000"))
LATENCY_TASKS = int(os.environ.get("BENCH_LATENCY_TASKS", "200"))
ENQUEUE_CALLS = int(os.environ.get("BENCH_ENQUEUE_CALLS", "1000"))
# Long enough for the worker to finish one no-op, so each task finds it idle.
LATENCY_SPACING_S = 0.02

celery = app.extensions["celery"]
queue_name = celery.conf.task_default_queue
broker = redis.Redis.from_url(app.config["REDIS_URL"])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 3),
        "p99_ms": round(percentile(values, 99) * 1000, 3),
        "mean_ms": round(statistics.fmean(values) * 1000, 3),
        "samples": len(values),
    }


def wait_for(check, timeout: float, what: str) -> float:
    """Poll `check` every millisecond until true; return when it became true (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise SystemExit(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.001)
    return time.perf_counter()


def queue_empty() -> bool:
    # kombu's Redis transport keeps delivered, unacknowledged messages (acks_late) in "unacked".
    return broker.llen(queue_name) == 0 and broker.hlen("unacked") == 0


def measure_enqueue_cost() -> dict[str, object]:
    with_task: list[float] = []
    commit_only: list[float] = []
    with app.test_request_context("/bench"):
        for _ in range(50):  # warm-up: the broker connection and producer pool
            enqueue(TASK)
            db.session.commit()
        for _ in range(ENQUEUE_CALLS):
            start = time.perf_counter()
            db.session.commit()
            commit_only.append(time.perf_counter() - start)
            start = time.perf_counter()
            enqueue(TASK)
            db.session.commit()
            with_task.append(time.perf_counter() - start)
        db.session.remove()
    extra = [a - b for a, b in zip(sorted(with_task), sorted(commit_only), strict=True)]
    return {
        "enqueue_and_commit": summary_ms(with_task),
        "commit_alone": summary_ms(commit_only),
        "cost": summary_ms(extra),
    }


def measure_throughput() -> dict[str, object]:
    wait_for(queue_empty, 60, "the queue to drain before the throughput test")
    replies = celery.control.cancel_consumer(queue_name, reply=True, timeout=5)
    if not replies:
        raise SystemExit("no worker answered cancel_consumer")
    started = time.perf_counter()
    with celery.producer_or_acquire() as producer:
        for _ in range(THROUGHPUT_TASKS):
            celery.send_task(TASK, producer=producer)
    fill_s = time.perf_counter() - started
    queued = broker.llen(queue_name)
    resumed = time.perf_counter()
    celery.control.add_consumer(queue_name, reply=True, timeout=5)
    drained = wait_for(queue_empty, 120, "the worker to drain the no-op tasks")
    elapsed = drained - resumed
    return {
        "tasks": THROUGHPUT_TASKS,
        "queued_before_resume": queued,
        "fill_seconds": round(fill_s, 3),
        "drain_seconds": round(elapsed, 3),
        "tasks_per_second": round(THROUGHPUT_TASKS / elapsed, 1),
        "send_rate_per_second": round(THROUGHPUT_TASKS / fill_s, 1),
    }


def measure_start_latency() -> dict[str, object]:
    started_at: dict[str, float] = {}
    received_at: dict[str, float] = {}
    ready = threading.Event()

    def on_received(event: dict) -> None:
        received_at[event["uuid"]] = event["timestamp"]

    def on_started(event: dict) -> None:
        started_at[event["uuid"]] = event["timestamp"]
        ready.set()

    with celery.connection_for_read() as connection:
        receiver = celery.events.Receiver(
            connection, handlers={"task-received": on_received, "task-started": on_started}
        )
        listener = threading.Thread(
            target=receiver.capture, kwargs={"limit": None, "timeout": None}, daemon=True
        )
        listener.start()
        celery.control.enable_events()
        try:
            # Until the worker's events reach us, send no-ops; they are not counted.
            deadline = time.monotonic() + 30
            while not ready.wait(0.2):
                if time.monotonic() > deadline:
                    raise SystemExit("no task-started events arrived within 30 s")
                celery.control.enable_events()
                celery.send_task(TASK)
            wait_for(queue_empty, 30, "the warm-up tasks to finish")
            time.sleep(0.5)
            sent_at: dict[str, float] = {}
            with celery.producer_or_acquire() as producer:
                for _ in range(LATENCY_TASKS):
                    task_id = str(uuid.uuid4())
                    sent_at[task_id] = time.time()
                    celery.send_task(TASK, task_id=task_id, producer=producer)
                    time.sleep(LATENCY_SPACING_S)
            wait_for(
                lambda: all(task_id in started_at for task_id in sent_at),
                30,
                "task-started events for every latency task",
            )
        finally:
            celery.control.disable_events()
            receiver.should_stop = True
    to_start = [started_at[t] - sent_at[t] for t in sent_at]
    to_receive = [received_at[t] - sent_at[t] for t in sent_at if t in received_at]
    return {
        "tasks": LATENCY_TASKS,
        "spacing_ms": LATENCY_SPACING_S * 1000,
        "enqueue_to_start": summary_ms(to_start),
        "enqueue_to_received": summary_ms(to_receive) if to_receive else None,
    }


PHASES = {
    "enqueue": measure_enqueue_cost,
    "throughput": measure_throughput,
    "latency": measure_start_latency,
}


def main() -> None:
    """Runs the phases named in BENCH_PHASES (comma-separated; all of them by default)."""
    chosen = os.environ.get("BENCH_PHASES") or ",".join(PHASES)
    result: dict[str, object] = {
        "queue": queue_name,
        "prefetch_multiplier": celery.conf.worker_prefetch_multiplier,
        "acks_late": celery.conf.task_acks_late,
    }
    for phase in chosen.split(","):
        result[phase] = PHASES[phase]()
    print("BENCH-RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
