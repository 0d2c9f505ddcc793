"""Worker tests: tasks run eagerly in the test process with the worker extension installed.

The `outbox` fixture lives in tests/conftest.py."""

from __future__ import annotations

import pytest
from flask import Flask

from folio_worker.extension import FolioWorker


@pytest.fixture
def worker(app: Flask) -> FolioWorker:
    """The test app's Celery, with the worker's signals (job log, request ids) connected."""
    return FolioWorker(app)
