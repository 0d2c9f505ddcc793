"""Publishing tells every follower once, in batches, however often the tasks run."""

from __future__ import annotations

import pytest

from folio_common.extensions import db
from folio_common.models import Follow, PostNotification, PostStatus
from folio_common.queue import celery_app
from folio_common.services import posts
from tests.factories import PostFactory, UserFactory


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"FANOUT_BATCH_SIZE": 2}


def _followers(author, count: int, **traits):
    readers = UserFactory.create_batch(count, reader=True, **traits)
    for reader in readers:
        db.session.add(Follow(follower_id=reader.id, author_id=author.id))
    return readers


def _notifications(post_id: int) -> set[int]:
    return set(
        db.session.execute(
            db.select(PostNotification.user_id).where(PostNotification.post_id == post_id)
        ).scalars()
    )


def test_publishing_mails_each_follower_once(app_ctx, outbox):
    author = UserFactory()
    readers = _followers(author, 5)
    db.session.commit()

    post = posts.create_post(author, "Fresh thoughts", "Body text", status=PostStatus.PUBLISHED)
    db.session.commit()

    assert sorted(mail.to for mail in outbox) == sorted(reader.email for reader in readers)
    assert all("Fresh thoughts" in mail.subject for mail in outbox)
    assert all(f"http://folio.test/posts/{post.slug}" in mail.text for mail in outbox)
    assert _notifications(post.id) == {reader.id for reader in readers}


def test_fan_out_runs_one_task_per_batch(app_ctx, outbox, worker):
    author = UserFactory()
    _followers(author, 5)
    post = PostFactory(author=author)
    db.session.commit()

    batches = celery_app().tasks["folio.notify_followers"].delay(post.id).get()

    assert batches == 3  # 2 + 2 + 1 followers
    assert len(outbox) == 5


def test_running_the_fan_out_again_sends_nothing_new(app_ctx, outbox):
    author = UserFactory()
    _followers(author, 3)
    post = PostFactory(author=author)
    db.session.commit()
    notify = celery_app().tasks["folio.notify_followers"]

    notify.delay(post.id)
    notify.delay(post.id)

    assert len(outbox) == 3
    assert len(_notifications(post.id)) == 3


def test_a_batch_skips_readers_already_told_and_inactive_ones(app_ctx, outbox):
    author = UserFactory()
    told, untold = _followers(author, 2)
    (gone,) = _followers(author, 1, active=False)
    post = PostFactory(author=author)
    db.session.add(PostNotification(post_id=post.id, user_id=told.id))
    db.session.commit()

    sent = (
        celery_app()
        .tasks["folio.send_new_post_emails"]
        .delay(post.id, [told.id, untold.id, gone.id, 999_999])
    )

    assert sent.get() == 1
    assert [mail.to for mail in outbox] == [untold.email]


def test_a_failed_send_leaves_the_reader_to_be_told_on_retry(app_ctx, outbox, monkeypatch):
    from folio_common.services import emails

    author = UserFactory()
    (reader,) = _followers(author, 1)
    post = PostFactory(author=author)
    db.session.commit()

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(emails, "send_mail", broken)
    with pytest.raises(ConnectionRefusedError):
        emails.send_new_post_emails(post.id, [reader.id])
    assert _notifications(post.id) == set()

    monkeypatch.undo()
    assert emails.send_new_post_emails(post.id, [reader.id]) == 1
    assert _notifications(post.id) == {reader.id}


def test_drafts_are_never_announced(app_ctx, outbox):
    author = UserFactory()
    _followers(author, 2)
    draft = PostFactory(author=author, draft=True)
    db.session.commit()

    assert celery_app().tasks["folio.notify_followers"].delay(draft.id).get() == 0
    assert celery_app().tasks["folio.send_new_post_emails"].delay(draft.id, [1, 2]).get() == 0
    assert outbox == []


def test_a_reader_another_worker_is_telling_right_now_is_skipped(app_ctx, outbox, monkeypatch):
    from folio_common.services import emails

    author = UserFactory()
    (reader,) = _followers(author, 1)
    post = PostFactory(author=author)
    # Committed by "another worker" after this one checked and before it inserts its own row.
    db.session.add(PostNotification(post_id=post.id, user_id=reader.id))
    db.session.commit()
    real_get = db.session.get

    def get_missing_the_race(model, key, **kwargs):
        return None if model is PostNotification else real_get(model, key, **kwargs)

    monkeypatch.setattr(db.session, "get", get_missing_the_race)

    assert emails.send_new_post_emails(post.id, [reader.id]) == 0
    assert outbox == []


def test_each_follower_hears_of_a_new_post_in_their_language(app_ctx, outbox):
    author = UserFactory(display_name="Ada")
    (french,) = _followers(author, 1, locale="fr")
    (english,) = _followers(author, 1)
    db.session.commit()

    posts.create_post(author, "Engines", "Body text", status=PostStatus.PUBLISHED)
    db.session.commit()

    by_recipient = {mail.to: mail for mail in outbox}
    assert by_recipient[french.email].subject == "Nouveau sur Folio : Engines"
    text = by_recipient[french.email].text
    assert "Ada a publié un nouvel article sur Folio : « Engines »" in text
    assert by_recipient[english.email].subject == "New on Folio: Engines"
