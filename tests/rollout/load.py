"""A steady, bounded stream of requests that counts every one that failed.

Used while a deploy, a rollback or a Swarm update runs: `rate` requests a second, spread over
`paths`, each on a fresh connection, until stopped or `max_seconds` have passed. A request
fails when it gets no answer in `timeout` seconds or an answer of 500 or more. Traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class LoadResult:
    sent: int = 0
    failed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    # Seconds from the start of the load to each failed request, to match against logs.
    failed_at: list[float] = field(default_factory=list)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(len(ordered) * 0.99)] * 1000 if ordered else 0.0

    def summary(self) -> str:
        return (
            f"{self.sent} requests, {self.failed} failed, statuses {dict(self.statuses)}, "
            f"p99 {self.p99_ms:.0f} ms, slowest {max(self.latencies, default=0) * 1000:.0f} ms"
            + (
                f", failures from {min(self.failed_at):.1f} s to {max(self.failed_at):.1f} s"
                if self.failed_at
                else ""
            )
        )


class SteadyLoad:
    """`with SteadyLoad(port, ...) as load: ...`; then `load.result`."""

    def __init__(
        self,
        port: int,
        paths: list[str],
        rate: float = 40,
        max_seconds: float = 300,
        timeout: float = 20,
        headers: dict[str, str] | None = None,
        threads: int = 16,
        host: str = "127.0.0.1",
        https: bool = False,
    ) -> None:
        assert host == "127.0.0.1", "load goes to this machine's loopback only"
        self.port, self.paths, self.rate, self.timeout = port, paths, rate, timeout
        self.max_seconds, self.https = max_seconds, https
        self.headers = headers or {}
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticket = itertools.count()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _request(self, path: str) -> str:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        if self.https:
            import ssl

            context = ssl._create_unverified_context()  # noqa: S323 - a throwaway test certificate
            connection = kind("127.0.0.1", self.port, timeout=self.timeout, context=context)  # type: ignore[call-arg]
        else:
            connection = kind("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request("GET", path, headers={"Connection": "close", **self.headers})
            response = connection.getresponse()
            response.read()
            return str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            return type(exc).__name__
        finally:
            connection.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            ticket = next(self._ticket)
            due = self._started + ticket / self.rate
            if due - self._started > self.max_seconds:
                return
            delay = due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            began = time.monotonic()
            outcome = self._request(self.paths[ticket % len(self.paths)])
            took = time.monotonic() - began
            with self._lock:
                self.result.sent += 1
                self.result.statuses[outcome] += 1
                self.result.latencies.append(took)
                if not outcome.isdigit() or int(outcome) >= 500:
                    self.result.failed += 1
                    self.result.failed_at.append(began - self._started)

    def wait(self) -> None:
        """Block until `max_seconds` of load have been sent."""
        for thread in self._threads:
            thread.join(self.max_seconds + self.timeout + 5)

    def __enter__(self) -> SteadyLoad:
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
