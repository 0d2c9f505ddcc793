"""Worker tests: tasks run eagerly in the test process with the worker extension installed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from folio_worker.extension import FolioWorker


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str | None


@pytest.fixture
def worker(app: Flask) -> FolioWorker:
    """The test app's Celery, with the worker's signals (job log, request ids) connected."""
    return FolioWorker(app)


@pytest.fixture
def outbox(caplog: pytest.LogCaptureFixture) -> Iterator[list[Mail]]:
    """Mails sent through the console backend, read back from its log lines."""
    caplog.set_level(logging.INFO, logger="folio.mail")
    mails: list[Mail] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "mail":
                mails.append(
                    Mail(record.mail_to, record.subject, record.text, record.html)  # type: ignore[attr-defined]
                )

    collector = Collector()
    logging.getLogger("folio.mail").addHandler(collector)
    yield mails
    logging.getLogger("folio.mail").removeHandler(collector)
