"""Building 'Export my posts' archives."""

from __future__ import annotations

from celery import Task, shared_task

from folio_common.extensions import db
from folio_common.services import exports
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.build_export", **RETRY_OPTIONS)
def build_export(self: Task, export_id: int) -> bool:
    return exports.build_export(export_id)


@shared_task(name="folio.recover_stuck_exports", **RETRY_OPTIONS)
def recover_stuck_exports(self: Task) -> dict[str, int]:
    """Run by beat every minute: builds that stopped moving are requeued or failed."""
    result = exports.recover_stuck_exports()
    db.session.commit()
    return result
