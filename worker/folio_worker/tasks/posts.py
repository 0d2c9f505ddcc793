"""Publishing scheduled posts and telling followers about new ones."""

from __future__ import annotations

from celery import Task, shared_task

from folio_common.extensions import db
from folio_common.services import emails
from folio_common.services import posts as post_service
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.publish_scheduled_posts", **RETRY_OPTIONS)
def publish_scheduled_posts(self: Task) -> list[int]:
    """Run by beat every minute; rows are locked with SKIP LOCKED, so overlapping runs are safe."""
    published = post_service.publish_due_posts()
    # Committing also sends each published post's notify_followers task.
    db.session.commit()
    return published


@shared_task(name="folio.notify_followers", **RETRY_OPTIONS)
def notify_followers(self: Task, post_id: int) -> int:
    """Split the author's followers into batches, one send_new_post_emails task each."""
    batches = emails.notify_followers(post_id)
    db.session.commit()
    return batches
