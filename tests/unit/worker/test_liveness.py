"""The worker's liveness file: touched on the consumer's timer, gone when the consumer stops."""

from __future__ import annotations

import os
import time

from folio_worker.liveness import LivenessFile


class Entry:
    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timer:
    def __init__(self) -> None:
        self.calls: list[tuple[float, object]] = []
        self.entry = Entry()

    def call_repeatedly(self, interval: float, callback: object) -> Entry:
        self.calls.append((interval, callback))
        return self.entry


class Consumer:
    def __init__(self) -> None:
        self.timer = Timer()


def test_the_step_is_part_of_the_consumer(worker):
    assert LivenessFile in worker.celery.steps["consumer"]


def test_without_a_path_the_step_stays_out(monkeypatch):
    monkeypatch.delenv("WORKER_LIVENESS_FILE", raising=False)
    assert not LivenessFile(Consumer()).include_if(Consumer())


def test_start_touches_and_schedules_stop_cancels_and_removes(monkeypatch, tmp_path):
    path = tmp_path / "alive"
    monkeypatch.setenv("WORKER_LIVENESS_FILE", str(path))
    monkeypatch.setenv("WORKER_LIVENESS_INTERVAL", "2")
    consumer = Consumer()
    step = LivenessFile(consumer)
    assert step.include_if(consumer)

    step.start(consumer)
    assert path.exists()
    [(interval, callback)] = consumer.timer.calls
    assert interval == 2.0

    old = time.time() - 60
    os.utime(path, (old, old))
    callback()
    assert time.time() - path.stat().st_mtime < 5

    step.stop(consumer)
    assert consumer.timer.entry.cancelled
    assert not path.exists()


def test_an_unwritable_path_is_logged_not_raised(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("WORKER_LIVENESS_FILE", str(tmp_path / "missing-dir" / "alive"))
    step = LivenessFile(Consumer())
    step.touch()
    assert "cannot touch the liveness file" in caplog.text
