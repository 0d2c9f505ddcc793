"""Building 'Export my posts' archives."""

from __future__ import annotations

from celery import Task, shared_task

from folio_common.services import exports
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.build_export", **RETRY_OPTIONS)
def build_export(self: Task, export_id: int) -> bool:
    return exports.build_export(export_id)
