"""Beat's every-minute task publishes scheduled posts whose time has come."""

from __future__ import annotations

from datetime import timedelta

import pytest

from folio_common.extensions import db
from folio_common.models import Post, PostStatus, utcnow
from tests.factories import PostFactory, UserFactory
from tests.helpers import wait_until

pytestmark = pytest.mark.integration


def test_a_due_scheduled_post_is_published_by_the_beat_task(app, celery_worker):
    with app.app_context():
        author = UserFactory()
        due = PostFactory(author=author, scheduled=True, publish_at=utcnow() - timedelta(seconds=5))
        future = PostFactory(author=author, scheduled=True, publish_at=utcnow() + timedelta(days=1))
        db.session.commit()
        due_id, future_id = due.id, future.id

    # Exactly what beat sends every minute.
    celery_worker.celery.send_task("folio.publish_scheduled_posts")

    def status_of(post_id: int) -> PostStatus:
        with app.app_context():
            return db.session.get(Post, post_id).status

    wait_until(lambda: status_of(due_id) == PostStatus.PUBLISHED, what="the post to be published")
    assert status_of(future_id) == PostStatus.SCHEDULED
