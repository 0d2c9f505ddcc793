"""On a single-node swarm: three web replicas serve, and a rolling update drops nothing.

Runs inside nginx's network namespace (scripts/swarm-test.sh), so 127.0.0.1:8080 is nginx.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

from tests.helpers import wait_until
from tests.rollout.load import SteadyLoad
from tests.rollout.support import nginx_errors, upstream_counts
from tests.swarm.conftest import STACK, docker, task_containers

TAG_B = os.environ.get("SWARM_TAG_B", "")
# A cookie makes nginx skip its micro-cache: every request reaches a web replica. HTTPS, as
# readers come: with a certificate configured nginx redirects plain HTTP there.
LOAD = {"paths": ["/", "/healthz", "/tags"], "headers": {"Cookie": "swarm=1"}}


def web_addresses() -> set[str]:
    addresses = set()
    for container in task_containers("web"):
        networks = json.loads(
            docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", container)
        )
        addresses.add(networks[f"{STACK}_edge"]["IPAddress"])
    return addresses


def wait_until_each_replica_served(addresses: set[str]) -> None:
    """nginx's access log names each of these web replicas as the one that answered a request."""

    def every_replica_served() -> bool:
        served = upstream_counts(docker("service", "logs", "--raw", f"{STACK}_nginx"))
        return all(served[address] > 0 for address in addresses)

    wait_until(
        every_replica_served,
        timeout=10,
        interval=0.5,
        what=f"a request served by each of {addresses}",
    )


def test_all_three_web_replicas_answer() -> None:
    addresses = web_addresses()
    assert len(addresses) == 3
    with SteadyLoad(8443, **LOAD, https=True, rate=30, max_seconds=4) as load:
        load.wait()
    assert load.result.failed == 0, load.result.summary()
    assert set(load.result.statuses) == {"200"}, load.result.summary()
    wait_until_each_replica_served(addresses)


def update(service: str, image: str, wait: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            "docker", "service", "update", "--quiet", f"--detach={str(not wait).lower()}",
            # Production waits 15 s after each task (compose.swarm.yaml); 5 s keeps CI short.
            "--update-monitor", "5s",
            "--image", f"local/folio-{image}:{TAG_B}", f"{STACK}_{service}",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_a_rolling_update_under_steady_load_drops_no_request() -> None:
    old = set(task_containers("web"))
    # The worker is updated alongside; the load is on web, whose update is awaited.
    worker = update("worker", "worker", wait=False)
    with SteadyLoad(8443, **LOAD, https=True, rate=40, max_seconds=400) as load:
        began = time.monotonic()
        web = update("web", "web", wait=True)
        output = web.communicate(timeout=400)[0]
        took = time.monotonic() - began
    print(load.result.summary())
    print(f"web updated in {took:.0f} s, {took / 3:.0f} s per replica")
    assert web.returncode == 0, output
    worker_output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 0, worker_output
    for service in ("web", "worker"):
        spec = docker("service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
                      f"{STACK}_{service}")  # fmt: skip
        assert spec.strip().endswith(f":{TAG_B}"), spec
    # The last old task may still be finishing its requests when the update reports done.
    wait_until(
        lambda: len(task_containers("web")) == 3,
        timeout=60,
        interval=0.5,
        what="old web tasks to stop",
    )
    assert not set(task_containers("web")) & old
    assert load.result.sent > 200
    errors = nginx_errors(docker("service", "logs", "--raw", f"{STACK}_nginx"))
    assert load.result.failed == 0, f"{load.result.summary()}\n{errors}"
    assert set(load.result.statuses) == {"200"}, load.result.summary()  # the app answered
    # nginx follows the replicas: the new ones took over the load while old ones left.
    wait_until_each_replica_served(web_addresses())
