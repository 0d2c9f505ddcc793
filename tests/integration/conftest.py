"""The integration tier: real PostgreSQL, Redis, SMTP server and a Celery worker subprocess.

For the whole session this creates its own database (migrated with the real `flask migrate`
command) and drops it afterwards, uses a Redis db number of its own, runs an aiosmtpd server
that keeps every message, and starts `celery worker` as a child process sharing the test app's
settings (tests/integration/backend.py). Every test under tests/integration gets an `app` bound
to all of them; tables are truncated after each test.

TEST_DATABASE_URL names a maintenance connection only (the tier never touches that database);
TEST_REDIS_URL names the Redis server. When either does not answer, the tier is skipped with one
line saying why, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from flask import Flask

from tests.conftest import marked_settings
from tests.integration.backend import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL
from tests.integration.support import (
    first_line,
    libpq_url,
    maintenance_connection,
    where,
)


def _services_problem() -> str | None:
    """Why the tier cannot run here (Postgres or Redis not answering), or None."""
    database = libpq_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        with maintenance_connection(database) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {where(database)} does not answer ({first_line(exc)})"
    redis_url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {where(redis_url)} does not answer ({first_line(exc)})"
    finally:
        client.close()
    return None


_SKIP_REASON_KEY = pytest.StashKey[str]()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Outside CI, drop the whole tier at once when its services are missing, saying why once.

    Under CI=true the tests stay, and the session fixtures fail them.
    """
    here = Path(__file__).parent
    tier = [item for item in items if here in item.path.parents]
    if not tier or os.environ.get("CI") == "true":
        return
    problem = _services_problem()
    if problem is None:
        return
    config.stash[_SKIP_REASON_KEY] = problem
    items[:] = [item for item in items if here not in item.path.parents]
    config.hook.pytest_deselected(items=tier)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    reason = config.stash.get(_SKIP_REASON_KEY, None)
    if reason:
        terminalreporter.write_line(f"integration tier skipped: {reason}", yellow=True)


# --- the app every integration test gets -----------------------------------------------------


@pytest.fixture
def app_env(request: pytest.FixtureRequest, integration_env: dict[str, str]) -> dict[str, str]:
    return {**integration_env, **marked_settings(request)}


@pytest.fixture
def postgres_env(app_env: dict[str, str]) -> dict[str, str]:
    return app_env


@pytest.fixture
def app(postgres_app: Flask) -> Flask:
    return postgres_app
