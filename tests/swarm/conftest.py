"""The Swarm tier: a stack on a throwaway single-node swarm, made by scripts/swarm-test.sh.

Without SWARM_STACK every test here is skipped; under CI=true that is an error instead.
"""

from __future__ import annotations

import os
import subprocess

import pytest

STACK = os.environ.get("SWARM_STACK", "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    if STACK:
        return
    if os.environ.get("CI") == "true" and any(str(i.fspath).startswith(here) for i in items):
        raise pytest.UsageError("CI=true but SWARM_STACK is unset: run make swarm-test")
    skip = pytest.mark.skip(reason="needs the swarm of `make swarm-test`")
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


def docker(*args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        ["docker", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.stdout


def task_containers(service: str) -> list[str]:
    """Running containers of one of the stack's services."""
    label = f"label=com.docker.swarm.service.name={STACK}_{service}"
    return docker("ps", "-q", "--filter", label).split()
