"""Jobs survive the worker going away: they wait in Redis and run when it is back."""

from __future__ import annotations

from .conftest import Site, compose, wait_until
from .test_journey import start_export, wait_for_export


def worker_is_healthy() -> bool:
    state = compose("ps", "--format", "{{.Health}}", "worker").stdout.strip()
    return state == "healthy"


def test_an_export_queued_while_the_worker_is_down_runs_when_it_returns(author: Site) -> None:
    compose("stop", "worker")
    try:
        status_path = start_export(author)
        assert author.get(status_path).json()["status"] == "pending"
    finally:
        compose("start", "worker")

    assert wait_for_export(author, status_path)["download_url"]
    wait_until(worker_is_healthy, timeout=60, what="the worker to be healthy again")


def test_an_export_survives_a_worker_restart_midway(author: Site) -> None:
    status_path = start_export(author)

    compose("restart", "worker")

    assert wait_for_export(author, status_path)["download_url"]
    wait_until(worker_is_healthy, timeout=60, what="the worker to be healthy again")
