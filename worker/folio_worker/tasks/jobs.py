"""Writing the job log late: a run's final state recorded once the database answers again."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from folio_common.extensions import db
from folio_common.services import jobs
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.record_job_run", **RETRY_OPTIONS)
def record_job_run(self: Task, action: str, fields: dict[str, Any]) -> bool:
    jobs.record(action, **fields)
    db.session.commit()
    return True
