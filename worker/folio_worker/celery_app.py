"""Entry point for `celery -A folio_worker.celery_app:celery worker` (and `beat`).

Builds common's minimal Flask app (config, database, queue; no views) and adds the worker side.
Connecting to the database is left to the tasks: nothing here opens a connection before fork.
"""

from __future__ import annotations

from folio_common.app import create_minimal_app
from folio_worker.extension import FolioWorker

app = create_minimal_app()
worker = FolioWorker(app)
celery = worker.celery
