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
    out = subprocess.run(  # noqa: S603
        [  # noqa: S607
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
    states = subprocess.run(  # noqa: S603
        ["docker", "service", "ps", f"{STACK}_migrate", "--format", "{{.CurrentState}}"],  # noqa: S607
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return any(line.startswith("Complete") for line in states.splitlines())


def main() -> int:
    deadline = time.monotonic() + float(os.environ.get("SWARM_WAIT", "300"))
    while True:
        found = replicas()
        waiting = {n: c for n, c in found.items() if n not in ONE_SHOT and c[0] != c[1]}
        if found and not waiting and migration_finished():
            print(f"converged: {found}", file=sys.stderr)
            return 0
        if time.monotonic() >= deadline:
            print(f"not converged: {found}, migration finished: {migration_finished()}")
            return 1
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
