"""The rollout tier: a Compose stack started by scripts/rollout-test.sh (make rollout-test).

Without ROLLOUT_COMPOSE every test here is skipped, so a plain `pytest` stays fast; the script
sets it, and under CI=true a missing stack fails instead.
"""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest

COMPOSE = shlex.split(os.environ.get("ROLLOUT_COMPOSE", ""))
HTTP_PORT = int(os.environ.get("ROLLOUT_HTTP_PORT", "0"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    if COMPOSE:
        return
    if os.environ.get("CI") == "true" and any(str(i.fspath).startswith(here) for i in items):
        raise pytest.UsageError("CI=true but ROLLOUT_COMPOSE is unset: run make rollout-test")
    skip = pytest.mark.skip(reason="needs the stack of `make rollout-test`")
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


def compose(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(  # the command line scripts/rollout-test.sh built
        [*COMPOSE, *args], check=True, capture_output=True, text=True, timeout=timeout
    )
    return result.stdout
