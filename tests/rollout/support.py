"""What the rollout and Swarm tiers share: when they run, their commands, and which web replica
nginx sent each request to."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter

import pytest


def skip_tier_unless(
    ready: bool, conftest: str, items: list[pytest.Item], variable: str, target: str
) -> None:
    """Skip the tests beside `conftest` unless their script set `variable` (`ready`).

    A plain `pytest` then stays fast; under CI=true a missing stack is an error instead.
    """
    here = os.path.dirname(conftest)
    tier = [item for item in items if str(item.fspath).startswith(here)]
    if ready or not tier:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {variable} is unset: run {target}")
    skip = pytest.mark.skip(reason=f"needs the stack of `{target}`")
    for item in tier:
        item.add_marker(skip)


def run(command: list[str], timeout: float) -> str:
    """The standard output of a command the tier's script set up (docker, docker compose)."""
    result = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
    return result.stdout


def upstream_counts(nginx_log: str) -> Counter[str]:
    """Requests per upstream address (IP only) in nginx's JSON access log.

    A request that was retried lists every address it tried ("a:8000, b:8000"); the last one
    answered it.
    """
    counts: Counter[str] = Counter()
    for line in nginx_log.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        upstream = str(entry.get("upstream_addr") or "")
        if upstream:
            counts[upstream.split(",")[-1].strip().rsplit(":", 1)[0]] += 1
    return counts


def nginx_errors(log: str, last: int = 15) -> str:
    """nginx's own error lines (upstream and resolver failures) from its container log."""
    lines = [line for line in log.splitlines() if "[error]" in line or "[warn]" in line]
    return "\n".join(lines[-last:])
