"""Resizing uploaded images into the WebP copies pages offer in srcset."""

from __future__ import annotations

from celery import Task, shared_task

from folio_common.services import images
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.process_image", **RETRY_OPTIONS)
def process_image(self: Task, image_id: int) -> bool:
    """Queued through the outbox by the upload; the service commits its own result."""
    return images.process_image(image_id)
