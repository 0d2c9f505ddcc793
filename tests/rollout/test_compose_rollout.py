"""On one Compose host: every web replica serves, and deploys and rollbacks drop nothing.

The stack runs with `--scale web=3 --scale worker=2` at tag ROLLOUT_TAG_A; ROLLOUT_TAG_B is a
second build of the same tree (other image ids). The tests run in this order: spread, deploy
A -> B, rollback B -> A.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.helpers import wait_until
from tests.rollout.conftest import COMPOSE, HTTPS_PORT, compose
from tests.rollout.load import SteadyLoad
from tests.rollout.support import nginx_errors, upstream_counts

ROOT = Path(__file__).resolve().parents[2]
TAG_A = os.environ.get("ROLLOUT_TAG_A", "")
TAG_B = os.environ.get("ROLLOUT_TAG_B", "")
# Signed-in users and API clients always reach the app: a cookie makes nginx skip its
# micro-cache, so every one of these requests goes to a web replica. Over HTTPS, as readers
# come: nginx's TLS server must follow the replicas as its plain one does.
LOAD = {"paths": ["/", "/healthz", "/tags"], "headers": {"Cookie": "rollout=1"}}


def web_replicas() -> dict[str, str]:
    """Container id -> its address on the network nginx shares with web."""
    found = {}
    for container in compose("ps", "-q", "web").split():
        networks = json.loads(
            subprocess.check_output(
                ["docker", "inspect", "-f", "{{json .NetworkSettings.Networks}}", container],
                text=True,
            )
        )
        edge = next(v for k, v in networks.items() if k.endswith("_edge"))
        found[container] = edge["IPAddress"]
    return found


def running_tag() -> set[str]:
    images = set()
    for container in compose("ps", "-q", "web", "worker", "beat").split():
        image = subprocess.check_output(
            ["docker", "inspect", "-f", "{{.Config.Image}}", container],
            text=True,
        )
        images.add(image.strip().rsplit(":", 1)[1])
    return images


def deploy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["scripts/deploy.sh", *args],
        cwd=ROOT,
        env={**os.environ, "COMPOSE_CMD": " ".join(COMPOSE)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_every_web_replica_serves_requests() -> None:
    replicas = web_replicas()
    assert len(replicas) == 3
    with SteadyLoad(HTTPS_PORT, **LOAD, https=True, rate=30, max_seconds=4) as load:
        load.wait()
    assert load.result.failed == 0, load.result.summary()

    def every_replica_served() -> bool:
        served = upstream_counts(compose("logs", "--no-log-prefix", "nginx"))
        return all(served[address] > 0 for address in replicas.values())

    wait_until(
        every_replica_served, timeout=10, interval=0.5, what="a request served by each replica"
    )


def test_a_deploy_under_steady_load_drops_no_request() -> None:
    assert running_tag() == {TAG_A}
    with SteadyLoad(HTTPS_PORT, **LOAD, https=True, rate=40, max_seconds=420) as load:
        result = deploy(TAG_B)
    print(result.stderr[-3000:], load.result.summary())
    assert result.returncode == 0, result.stderr[-3000:]
    assert running_tag() == {TAG_B}
    assert len(web_replicas()) == 3
    assert load.result.sent > 200
    errors = nginx_errors(compose("logs", "--no-log-prefix", "nginx"))
    assert load.result.failed == 0, f"{load.result.summary()}\n{errors}"
    assert set(load.result.statuses) == {"200"}, load.result.summary()  # the app answered


def test_a_rollback_under_steady_load_returns_to_the_previous_tag() -> None:
    assert running_tag() == {TAG_B}
    with SteadyLoad(HTTPS_PORT, **LOAD, https=True, rate=40, max_seconds=420) as load:
        result = deploy("--rollback")
    print(result.stderr[-3000:], load.result.summary())
    assert result.returncode == 0, result.stderr[-3000:]
    assert running_tag() == {TAG_A}
    assert load.result.sent > 200
    errors = nginx_errors(compose("logs", "--no-log-prefix", "nginx"))
    assert load.result.failed == 0, f"{load.result.summary()}\n{errors}"
    assert set(load.result.statuses) == {"200"}, load.result.summary()  # the app answered
