"""Helpers for the integration tier: waiting with a deadline, scratch databases, the SMTP
mailbox and the worker subprocess handle. The fixtures that use them live in conftest.py.
"""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from celery import Celery
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_TIMEOUT = 30.0
QUEUE = "folio"


def where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or ''}".rstrip(":")


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def libpq_url(url: str, database: str | None = None) -> str:
    """A plain postgresql:// URL (psycopg's form), optionally naming another database."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    if parts.scheme == "postgres":
        parts = parts._replace(scheme="postgresql")
    if database:
        path = f"/{database}"
    else:
        path = parts.path if parts.path not in ("", "/") else "/postgres"
    return urlunsplit(parts._replace(path=path))


def maintenance_connection(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def create_database(maintenance_url: str, prefix: str = "folio_test") -> str:
    name = f"{prefix}_{secrets.token_hex(6)}"
    with maintenance_connection(maintenance_url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(maintenance_url: str, name: str) -> None:
    with maintenance_connection(maintenance_url) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def run_flask_migrate(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """The real `flask migrate` in a child process (Alembic's logging setup stays out of ours)."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "folio_common.app:create_minimal_app", "migrate"],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Mailbox:
    """Everything the SMTP server received, in order; tests wait on it with a deadline.

    `refuse_next(n)` makes it answer the next n deliveries with a temporary failure (451), as a
    mail server under load does, so tests can watch the worker retry.
    """

    messages: list[EmailMessage] = field(default_factory=list)
    refused: int = 0
    _to_refuse: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._changed:
            if self._to_refuse > 0:
                self._to_refuse -= 1
                self.refused += 1
                return "451 4.3.0 Temporary failure, please try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def refuse_next(self, count: int) -> None:
        with self._changed:
            self._to_refuse = count

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()
            self.refused = self._to_refuse = 0

    def to(self, address: str) -> list[EmailMessage]:
        with self._changed:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = WAIT_TIMEOUT) -> list[EmailMessage]:
        """The first `count` messages, once at least that many have arrived."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(
                        f"expected {count} mail(s) within {timeout:.0f}s, got {len(self.messages)}"
                    )
                self._changed.wait(remaining)
            return list(self.messages[:count])


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log_path: Path
    hostname: str
    celery: Celery
    liveness_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def answers(self) -> bool:
        replies = self.celery.control.ping(destination=[self.hostname], timeout=1.0, limit=1)
        return any(self.hostname in reply for reply in replies)

    def is_idle(self, redis_client: redis.Redis) -> bool:
        if redis_client.llen(QUEUE):
            return False
        inspect = self.celery.control.inspect(destination=[self.hostname], timeout=1.0, limit=1)
        for busy in (inspect.active(), inspect.reserved(), inspect.scheduled()):
            if busy is None or any(busy.values()):
                return False
        return True


def log_tail(path: Path, lines: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no worker log)"
