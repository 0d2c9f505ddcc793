"""Publishing a post mails each follower exactly once, fanned out by the worker in batches."""

from __future__ import annotations

import pytest

from folio_common.extensions import db
from folio_common.models import Follow, PostNotification, PostStatus
from folio_common.services import posts
from tests.factories import UserFactory
from tests.helpers import wait_until

pytestmark = pytest.mark.integration


def test_publishing_sends_one_mail_per_follower(app, mailbox, celery_worker, redis_client):
    with app.app_context():
        author = UserFactory(username="prolific")
        readers = UserFactory.create_batch(3, reader=True)
        UserFactory(username="bystander", reader=True)
        for reader in readers:
            db.session.add(Follow(follower_id=reader.id, author_id=author.id))
        db.session.commit()
        followers = sorted(reader.email for reader in readers)

        post = posts.create_post(
            author, "Steam engines", "About engines.", status=PostStatus.PUBLISHED
        )
        db.session.commit()
        post_id, slug = post.id, post.slug

    mails = mailbox.wait_for(3)
    # With a batch size of 2 the fan-out is two tasks; once the worker is idle nothing else comes.
    wait_until(lambda: celery_worker.is_idle(redis_client), what="the worker to go idle")
    assert len(mailbox.messages) == 3
    assert sorted(mail["To"] for mail in mails) == followers
    for mail in mails:
        assert mail["Subject"] == "New on Folio: Steam engines"
        assert f"http://folio.test/posts/{slug}" in mail.get_body(("plain",)).get_content()
    with app.app_context():
        told = db.session.execute(
            db.select(db.func.count()).where(PostNotification.post_id == post_id)
        ).scalar_one()
    assert told == 3
