"""A dependency found away is not tried again by every caller: they are refused at once until
the cooldown ends, then one caller probes and its outcome decides."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from folio_common.breaker import Breaker, guard_connects, guarded_redis_connection


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_closed_breaker_lets_everyone_through(clock):
    breaker = Breaker("db", cooldown=2, clock=clock)

    assert breaker.allow() and breaker.allow()
    assert not breaker.is_open


def test_after_a_failure_callers_are_refused_until_the_cooldown_ends(clock):
    breaker = Breaker("db", cooldown=2, clock=clock)
    breaker.failed(ConnectionError("refused"))

    clock.now += 1.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow()  # the probe


def test_one_probe_at_a_time_and_its_success_closes_the_breaker(clock):
    breaker = Breaker("db", cooldown=2, clock=clock)
    breaker.failed()
    clock.now += 3

    assert breaker.allow()
    assert not breaker.allow()  # someone is probing already
    breaker.succeeded()
    assert breaker.allow() and not breaker.is_open


def test_a_failed_probe_opens_the_breaker_again(clock):
    breaker = Breaker("db", cooldown=2, clock=clock)
    breaker.failed()
    clock.now += 3
    assert breaker.allow()

    breaker.failed()
    assert not breaker.allow()
    clock.now += 2
    assert breaker.allow()


def test_a_probe_that_never_reports_back_does_not_block_for_ever(clock):
    breaker = Breaker("db", cooldown=2, clock=clock)
    breaker.failed()
    clock.now += 3
    assert breaker.allow()

    clock.now += 60
    assert breaker.allow()


def test_a_database_that_cannot_be_opened_is_not_tried_again_during_the_cooldown(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    breaker = Breaker("database", cooldown=60)
    guard_connects(engine, breaker)

    with pytest.raises(OperationalError, match="unable to open"):
        engine.connect()
    with pytest.raises(OperationalError, match="not tried again yet"):
        engine.connect()
    assert breaker.is_open


def test_a_database_that_answers_closes_the_breaker(tmp_path: Path, clock):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    breaker = Breaker("database", cooldown=2, clock=clock)
    guard_connects(engine, breaker)
    breaker.failed()
    clock.now += 3

    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert not breaker.is_open


def test_a_redis_that_is_away_costs_one_wait_not_one_per_call():
    breaker = Breaker("cache", cooldown=60)
    pool = redis.ConnectionPool(
        host="127.0.0.1",
        port=_closed_port(),
        socket_connect_timeout=1,
        connection_class=guarded_redis_connection(breaker),
    )
    client = redis.Redis(connection_pool=pool)
    with pytest.raises(redis.ConnectionError):
        client.get("x")

    started = time.monotonic()
    for _ in range(20):
        with pytest.raises(redis.ConnectionError, match="not tried again yet"):
            client.get("x")
    assert time.monotonic() - started < 0.5


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
