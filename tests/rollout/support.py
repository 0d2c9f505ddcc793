"""What the rollout and Swarm tiers share: which web replica nginx sent each request to."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable


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


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    """`check()`'s first truthy answer, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.5)


def nginx_errors(log: str, last: int = 15) -> str:
    """nginx's own error lines (upstream and resolver failures) from its container log."""
    lines = [line for line in log.splitlines() if "[error]" in line or "[warn]" in line]
    return "\n".join(lines[-last:])
