"""Circuit breakers: once a dependency is found away, callers are told so at once for a while.

Without one, every request during an outage waits out its own connect timeout (the database's
5 s, Redis's 1-2 s) before it can answer 503. Threads pile up behind those waits, and requests
queued behind them wait far longer than any timeout: under load `make chaos` saw readers give up
after 30 s while Postgres restarted. With a breaker, the first failure opens it; for COOLDOWN
seconds every caller is refused without trying, then one caller probes while the rest are still
refused, and the probe's outcome closes the breaker or opens it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect

log = logging.getLogger("folio.breaker")

# Short: a restart of Postgres or Redis takes a few seconds, and a closed breaker costs nothing.
COOLDOWN_SECONDS = 2.0
# A probe that never reported back (its thread died) stops blocking other probes after this.
PROBE_LEASE_SECONDS = 30.0


class Breaker:
    """Open after a failure, half-open (one probe) after the cooldown, closed after a success."""

    def __init__(
        self,
        name: str,
        cooldown: float = COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until: float | None = None
        self._probe_started: float | None = None

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def allow(self) -> bool:
        """Whether the caller may try the dependency now."""
        now = self._clock()
        with self._lock:
            if self._open_until is None:
                return True
            if now < self._open_until:
                return False
            if self._probe_started is not None and now - self._probe_started < PROBE_LEASE_SECONDS:
                return False
            self._probe_started = now
            return True

    def failed(self, error: BaseException | None = None) -> None:
        now = self._clock()
        with self._lock:
            opened = self._open_until is None
            self._open_until = now + self.cooldown
            self._probe_started = None
        if opened:
            log.warning(
                "dependency unavailable; failing fast",
                extra={"dependency": self.name, "error": str(error or "")[:300]},
            )

    def succeeded(self) -> None:
        if self._open_until is None:  # the usual case: no lock taken
            return
        with self._lock:
            self._open_until = None
            self._probe_started = None
        log.info("dependency back", extra={"dependency": self.name})


class Unavailable(ConnectionError):
    """Raised instead of trying a dependency whose breaker is open."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} unavailable (failed moments ago; not tried again yet)")


def guard_connects(engine: Engine, breaker: Breaker) -> None:
    """Refuse new database connections at once while `breaker` is open.

    The refusal is the driver's own OperationalError, so it reaches callers as SQLAlchemy's
    OperationalError, the error the web app already answers with a branded 503.
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error
    operational_error = engine.dialect.loaded_dbapi.OperationalError

    @event.listens_for(engine, "do_connect")
    def _connect(
        dialect: Dialect, _record: object, cargs: tuple[Any, ...], cparams: dict[str, Any]
    ) -> Any:
        if not breaker.allow():
            raise operational_error(str(Unavailable(breaker.name)))
        try:
            connection = dialect.connect(*cargs, **cparams)
        except dbapi_error as exc:
            breaker.failed(exc)
            raise
        breaker.succeeded()
        return connection


def guarded_redis_connection(breaker: Breaker) -> type[redis.Connection]:
    """A redis-py connection class that refuses to connect at once while `breaker` is open."""

    class GuardedConnection(redis.Connection):
        def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
            if self.is_connected:
                return
            if not breaker.allow():
                raise redis.ConnectionError(str(Unavailable(breaker.name)))
            try:
                super().connect_check_health(*args, **kwargs)
            except (redis.RedisError, OSError) as exc:
                breaker.failed(exc)
                raise
            breaker.succeeded()

    return GuardedConnection
