"""The rollout tier: a Compose stack started by scripts/rollout-test.sh (make rollout-test).

Without ROLLOUT_COMPOSE every test here is skipped; under CI=true that is an error instead.
"""

from __future__ import annotations

import os
import shlex

import pytest

from tests.rollout.support import run, skip_tier_unless

COMPOSE = shlex.split(os.environ.get("ROLLOUT_COMPOSE", ""))
HTTPS_PORT = int(os.environ.get("ROLLOUT_HTTPS_PORT", "0"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_tier_unless(bool(COMPOSE), __file__, items, "ROLLOUT_COMPOSE", "make rollout-test")


def compose(*args: str, timeout: float = 120) -> str:
    return run([*COMPOSE, *args], timeout)
