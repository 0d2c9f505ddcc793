"""Wait until every service of the Swarm stack runs healthy and the migration has finished.

python -m tests.swarm.converge      (SWARM_STACK names the stack; SWARM_WAIT, default 300 s)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

STACK = os.environ["SWARM_STACK"]
ONE_SHOT = {"migrate"}


def replicas() -> dict[str, tuple[int, int]]:
    out = subprocess.run(
        [
            "docker", "service", "ls", "--filter", f"label=com.docker.stack.namespace={STACK}",
            "--format", "{{.Name}} {{.Replicas}}",
        ],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = {}
    for line in out.splitlines():
        name, counts = line.split()[:2]
        running, wanted = counts.split("/")
        found[name.removeprefix(f"{STACK}_")] = (int(running), int(wanted))
    return found


def migration_finished() -> bool:
    states = subprocess.run(
        ["docker", "service", "ps", f"{STACK}_migrate", "--format", "{{.CurrentState}}"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return any(line.startswith("Complete") for line in states.splitlines())


def healthy_containers(service: str) -> int:
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_{service}",
         "--filter", "health=healthy"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return len(ids)


def main() -> int:
    deadline = time.monotonic() + float(os.environ.get("SWARM_WAIT", "300"))
    # dockerd hands each health change to Swarm as an event, and drops events a busy subscriber
    # has not taken within 100 ms: on a saturated host a task can stay "starting" with its
    # container long healthy. Such a service is restarted once.
    stuck_since: dict[str, float] = {}
    kicked: set[str] = set()
    while True:
        found = replicas()
        waiting = {n: c for n, c in found.items() if n not in ONE_SHOT and c[0] != c[1]}
        for name, (_, wanted) in waiting.items():
            if name in kicked or healthy_containers(name) < wanted:
                stuck_since.pop(name, None)
                continue
            since = stuck_since.setdefault(name, time.monotonic())
            if time.monotonic() - since > 30:
                print(
                    f"{name}: healthy but still starting for Swarm; restarting it", file=sys.stderr
                )
                subprocess.run(
                    ["docker", "service", "update", "--force", "--detach", "--quiet",
                     f"{STACK}_{name}"],
                    check=True, capture_output=True,
                )  # fmt: skip
                kicked.add(name)
        if found and not waiting and migration_finished():
            print(f"converged: {found}", file=sys.stderr)
            return 0
        if time.monotonic() >= deadline:
            print(f"not converged: {found}, migration finished: {migration_finished()}")
            return 1
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
