"""The integration tier's real services, for any test that asks: PostgreSQL, Redis, an SMTP
server and a Celery worker subprocess, and `postgres_app`, the web app bound to all of them.

For the whole session this creates its own database (migrated with the real `flask migrate`
command) and drops it afterwards, uses a Redis db number of its own, runs an aiosmtpd server
that keeps every message, and starts `celery worker` as a child process sharing the test app's
settings; tables are truncated after each test. Loaded as a plugin by tests/conftest.py, so that
tests outside tests/integration can run on the same services (ON_BOTH_DATABASES in
tests/unit/api/conftest.py); nothing starts until a test asks for it.

TEST_DATABASE_URL names a maintenance connection only (the tier never touches that database);
TEST_REDIS_URL names the Redis server. When either does not answer, the tests that need them
are skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from celery import Celery
from flask import Flask

from bench.ports import free_port
from folio_common.config import Settings
from folio_common.extensions import db
from folio_web import create_app
from tests.helpers import wait_until
from tests.integration.support import (
    QUEUE,
    REPO_ROOT,
    Mailbox,
    WorkerProcess,
    create_database,
    drop_database,
    first_line,
    libpq_url,
    log_tail,
    maintenance_connection,
    run_flask_migrate,
    where,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
SECRET_KEY = "integration-secret-key-" + "0123456789" * 3
WORKER_START_TIMEOUT = 90.0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"integration tier cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"integration tier skipped: {reason}")


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def maintenance_url() -> str:
    url = libpq_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        with maintenance_connection(url) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL at {where(url)} does not answer ({first_line(exc)})")
    return url


@pytest.fixture(scope="session")
def database_url(maintenance_url: str) -> Iterator[str]:
    """A database of this session's own, migrated to the newest revision, dropped at the end."""
    name = create_database(maintenance_url)
    url = libpq_url(maintenance_url, name)
    try:
        result = run_flask_migrate({"FOLIO_ENV": "test", "DATABASE_URL": url})
        assert result.returncode == 0, f"migrations failed:\n{result.stdout}\n{result.stderr}"
        yield url
    finally:
        drop_database(maintenance_url, name)


# --- Redis --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis db number of this session's own, flushed before and after: the one TEST_REDIS_URL
    names, so that concurrent runs can be kept apart, or else one from the pid."""
    base = urlsplit(os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL)
    named = base.path.strip("/")
    number = int(named) if named.isdigit() and named != "0" else 1 + os.getpid() % 15
    url = urlunsplit(base._replace(path=f"/{number}"))
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        _unavailable(f"Redis at {where(url)} does not answer ({first_line(exc)})")
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


# --- SMTP ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    box, _ = smtp_server
    box.clear()
    return box


# --- the environment shared by the test app and the worker ---------------------------------------


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def integration_env(
    database_url: str,
    redis_url: str,
    smtp_server: tuple[Mailbox, int],
    export_dir: Path,
    media_dir: Path,
) -> dict[str, str]:
    _, smtp_port = smtp_server
    return {
        "FOLIO_ENV": "test",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "false",
        "MAIL_USE_SSL": "false",
        "SERVER_NAME": "folio.test",
        "EXPORT_DIR": str(export_dir),
        "MEDIA_DIR": str(media_dir),
        "FANOUT_BATCH_SIZE": "2",
        "LOG_LEVEL": "INFO",
    }


# --- the Celery worker --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker(
    integration_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """`celery worker` (prefork, two children) as a subprocess, answering pings before tests run."""
    worker_dir = tmp_path_factory.mktemp("worker")
    log_path = worker_dir / "worker.log"
    liveness_path = worker_dir / "alive"
    hostname = f"folio-test-{os.getpid()}@{socket.gethostname()}"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "folio_worker.celery_app:celery",
        "worker",
        "--pool=prefork",
        "--concurrency=2",
        "--loglevel=INFO",
        f"--hostname={hostname}",
        "--without-gossip",
        "--without-mingle",
    ]
    log_file = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={
            **os.environ,
            **integration_env,
            "WORKER_LIVENESS_FILE": str(liveness_path),
            "WORKER_LIVENESS_INTERVAL": "1",
        },
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    control = Celery("folio-tests", broker=integration_env["REDIS_URL"])
    control.conf.update(broker_connection_retry_on_startup=True, task_default_queue=QUEUE)
    worker = WorkerProcess(process, log_path, hostname, control, liveness_path)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not worker.answers():
            if process.poll() is not None or time.monotonic() >= deadline:
                pytest.fail(
                    f"the Celery worker did not start (exit code {process.poll()}):\n"
                    f"{log_tail(log_path)}",
                    pytrace=False,
                )
        yield worker
    finally:
        process.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log_file.close()
        control.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failing integration test shows the end of the worker's log next to its traceback."""
    outcome = yield
    report = outcome.get_result()
    worker = getattr(item, "funcargs", {}).get("celery_worker")
    if report.failed and isinstance(worker, WorkerProcess):
        report.sections.append(("celery worker log (tail)", log_tail(worker.log_path)))


# --- the app on all of them ---------------------------------------------------------------------


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        tables = [table.name for table in db.metadata.sorted_tables]
        # Not bound by a test's own statement timeout (test_outages sets 300 ms): on a busy
        # machine the TRUNCATE's locks alone can take longer.
        db.session.execute(db.text("SET LOCAL statement_timeout = 0"))
        db.session.execute(
            db.text(
                "TRUNCATE {} RESTART IDENTITY CASCADE".format(
                    ", ".join(f'"{name}"' for name in tables)
                )
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def postgres_env(integration_env: dict[str, str]) -> dict[str, str]:
    """The environment `postgres_app` is built from; tests/integration passes its `app_env`."""
    return dict(integration_env)


@pytest.fixture
def postgres_app(
    postgres_env: dict[str, str],
    app_overrides: dict[str, object],
    tmp_path: Path,
    celery_worker: WorkerProcess,
    redis_client: redis.Redis,
) -> Iterator[Flask]:
    """The web app on the session's Postgres and Redis; its schema comes from the migrations."""
    settings = Settings.from_env(postgres_env, instance_path=str(tmp_path))
    app = create_app(settings, **app_overrides)
    # Rate-limit counters and cached pages from an earlier test must not leak into this one.
    for pattern in ("folio:limits*", "folio:cache:*", "LIMITS*"):
        for key in redis_client.scan_iter(match=pattern):
            redis_client.delete(key)
    yield app
    # Let the worker finish what this test started before its rows disappear under it.
    wait_until(
        lambda: celery_worker.is_idle(redis_client), what="the worker to finish this test's tasks"
    )
    _truncate_all(app)
    with app.app_context():
        db.engine.dispose()
    app.extensions["celery"].close()
