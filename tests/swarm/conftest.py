"""The Swarm tier: a stack on a throwaway single-node swarm, made by scripts/swarm-test.sh.

Without SWARM_STACK every test here is skipped; under CI=true that is an error instead.
"""

from __future__ import annotations

import os

import pytest

from tests.rollout.support import run, skip_tier_unless

STACK = os.environ.get("SWARM_STACK", "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_tier_unless(bool(STACK), __file__, items, "SWARM_STACK", "make swarm-test")


def docker(*args: str, timeout: float = 300) -> str:
    return run(["docker", *args], timeout)


def task_containers(service: str) -> list[str]:
    """Running containers of one of the stack's services."""
    label = f"label=com.docker.swarm.service.name={STACK}_{service}"
    return docker("ps", "-q", "--filter", label).split()
