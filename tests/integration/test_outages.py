"""Real outages against real services: Redis away at commit time, and a runaway query.

The web app here talks to a Redis port where nothing listens (as when the container is stopped)
while Postgres, the worker and the SMTP server are real; what the outage left unsent is then
relayed from the outbox to the real broker, and the real worker delivers it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from bench.ports import free_port
from folio_common.config import Settings
from folio_common.extensions import db
from folio_common.models import Export, ExportStatus, OutboxMessage, User, utcnow
from folio_common.services import follows, outbox
from folio_web import create_app
from tests.factories import PostFactory, UserFactory
from tests.helpers import AuthActions, csrf_token, registration, wait_until

# A short statement timeout, which the runaway query below runs into.
pytestmark = [pytest.mark.integration, pytest.mark.settings(DB_STATEMENT_TIMEOUT_MS="300")]


@pytest.fixture
def redis_down_app(app: Flask, app_env: dict[str, str], tmp_path: Path) -> Iterator[Flask]:
    """The same site on the same database, with its broker and cache Redis unreachable."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = {**app_env, "REDIS_URL": dead, "CACHE_REDIS_URL": dead, "PAGE_CACHE": "true"}
    down = create_app(Settings.from_env(env, instance_path=str(tmp_path)))
    yield down
    with down.app_context():
        db.engine.dispose()
    down.extensions["celery"].close()


def _relay_everything(app: Flask) -> int:
    with app.app_context():
        later = utcnow() + outbox.FAST_PATH_GRACE + timedelta(seconds=1)
        sent = outbox.relay_unsent(now=later).sent
        db.session.remove()
        return sent


def _unsent(app: Flask) -> list[str]:
    with app.app_context():
        rows = db.session.execute(
            db.select(OutboxMessage.task_name).where(OutboxMessage.sent_at.is_(None))
        ).scalars()
        return sorted(rows)


def test_registering_while_redis_is_away_is_saved_and_mailed_once_it_is_back(
    app, redis_down_app, mailbox
):
    client = redis_down_app.test_client()
    token = csrf_token(client, "/auth/register")
    started = time.monotonic()
    response = client.post(
        "/auth/register",
        data={**registration("outage_reader"), "csrf_token": token},
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert time.monotonic() - started < 5  # the dead broker costs no long stall
    with app.app_context():
        assert db.session.execute(db.select(User).filter_by(username="outage_reader")).scalar()
    assert _unsent(app) == ["folio.send_confirmation_email"]
    assert mailbox.messages == []

    assert _relay_everything(app) == 1
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "outage_reader@example.com"
    assert _unsent(app) == []


def test_an_export_and_a_post_written_while_redis_is_away_are_done_once_it_is_back(
    app, redis_down_app, mailbox
):
    with app.app_context():
        author = UserFactory(username="outage_author")
        PostFactory.create_batch(3, author=author)
        follower = UserFactory(username="outage_follower")
        db.session.flush()
        follows.follow(follower, author)
        db.session.commit()
    client = redis_down_app.test_client()
    assert AuthActions(client).login("outage_author").status_code == 302

    token = csrf_token(client, "/account/exports/")
    assert client.post("/account/exports/", data={"csrf_token": token}).status_code == 302
    token = csrf_token(client, "/write")
    written = client.post(
        "/write",
        data={
            "title": "Written in the dark",
            "body": "Still saved.",
            "status": "published",
            "tags": "",
            "csrf_token": token,
        },
    )
    assert written.status_code == 302, written.get_data(as_text=True)[:500]
    assert _unsent(app) == ["folio.build_export", "folio.notify_followers"]

    assert _relay_everything(app) == 2

    def export_done() -> bool:
        with app.app_context():
            status = db.session.execute(db.select(Export.status)).scalar_one()
            db.session.remove()
            return status == ExportStatus.DONE

    wait_until(export_done, what="the export requested during the outage")
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "outage_follower@example.com"


def test_a_runaway_query_is_cancelled_by_the_statement_timeout_and_answers_503(app, client):
    def runaway() -> str:
        db.session.execute(text("SELECT pg_sleep(5)"))
        return "finished"

    app.add_url_rule("/api/v1/runaway", "api_runaway", runaway)
    app.add_url_rule("/runaway", "page_runaway", runaway)

    started = time.monotonic()
    response = client.get("/api/v1/runaway")
    assert time.monotonic() - started < 3, "Postgres should cancel it after 300 ms"
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "took too long" in response.json["detail"]
    assert int(response.headers["Retry-After"]) >= 1

    started = time.monotonic()
    page = client.get("/runaway")
    assert time.monotonic() - started < 3
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and page.mimetype == "text/html"
    # The site's own error page, with its header, not a bare server error.
    assert "took too long" in html and 'class="brand"' in html
    assert int(page.headers["Retry-After"]) >= 1
    # The session and its pooled connection are usable again afterwards.
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
