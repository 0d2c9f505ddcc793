"""The exports page: start an export, watch it, download it — and only your own."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from folio_common.extensions import db
from folio_common.models import Export, ExportStatus, utcnow
from tests.factories import PostFactory, UserFactory
from tests.helpers import csrf_token


@pytest.fixture
def owner(app_ctx):
    user = UserFactory(username="owner")
    PostFactory(author=user, title="Mine", slug="mine")
    db.session.commit()
    return user


@pytest.fixture
def signed_in(client, auth, owner):
    response = auth.login("owner")
    assert response.status_code == 302
    return client


def _start(client):
    token = csrf_token(client, "/account/exports/")
    return client.post("/account/exports/", data={"csrf_token": token})


def _only_export() -> Export:
    db.session.expire_all()
    return db.session.execute(db.select(Export)).scalar_one()


def test_the_page_needs_a_signed_in_user(client):
    response = client.get("/account/exports/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_starting_an_export_shows_it_with_a_download_link(signed_in):
    response = _start(signed_in)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/exports/")

    page = signed_in.get("/account/exports/").get_data(as_text=True)
    export = _only_export()
    assert "Your export has started" in page
    assert f'href="/account/exports/{export.id}/download"' in page
    assert '<progress class="export-progress" max="100" value="100">' in page
    assert "/static/js/exports.js?v=" in page


def test_status_json_reports_progress_and_the_download_url(signed_in):
    _start(signed_in)
    export = _only_export()

    response = signed_in.get(f"/account/exports/{export.id}.json")

    assert response.status_code == 200
    assert response.json == {
        "id": export.id,
        "status": "done",
        "progress": 100,
        "error": None,
        "download_url": f"/account/exports/{export.id}/download",
    }


def test_the_owner_downloads_a_zip_of_their_posts(signed_in):
    _start(signed_in)
    export = _only_export()

    response = signed_in.get(f"/account/exports/{export.id}/download")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    response.close()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert "posts/mine.md" in archive.namelist()


def test_other_users_get_404_for_someone_elses_export(client, auth, owner):
    export = Export(user_id=owner.id, status=ExportStatus.PENDING)
    db.session.add(export)
    UserFactory(username="snoop")
    db.session.commit()
    auth.login("snoop")

    assert client.get(f"/account/exports/{export.id}.json").status_code == 404
    assert client.get(f"/account/exports/{export.id}/download").status_code == 404
    assert client.get("/account/exports/999999.json").status_code == 404


def test_an_unfinished_export_cannot_be_downloaded_yet(signed_in, owner):
    export = Export(user_id=owner.id, status=ExportStatus.RUNNING, progress=40)
    db.session.add(export)
    db.session.commit()

    assert signed_in.get(f"/account/exports/{export.id}/download").status_code == 404
    status = signed_in.get(f"/account/exports/{export.id}.json").json
    assert status["status"] == "running" and status["progress"] == 40
    assert status["download_url"] is None


def test_a_second_export_while_one_runs_is_refused_with_a_message(signed_in, owner):
    db.session.add(Export(user_id=owner.id, status=ExportStatus.PENDING))
    db.session.commit()

    response = _start(signed_in)

    assert response.status_code == 302
    page = signed_in.get("/account/exports/").get_data(as_text=True)
    assert "already being prepared" in page
    assert db.session.execute(db.select(db.func.count(Export.id))).scalar_one() == 1


def test_an_expired_export_is_gone(signed_in):
    _start(signed_in)
    export = _only_export()
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert signed_in.get(f"/account/exports/{export.id}/download").status_code == 410

    export.status = ExportStatus.EXPIRED
    db.session.commit()
    assert signed_in.get(f"/account/exports/{export.id}/download").status_code == 410


def test_starting_an_export_needs_the_csrf_token(signed_in):
    response = signed_in.post("/account/exports/")
    assert response.status_code == 400
    assert db.session.execute(db.select(Export)).first() is None


def test_a_failed_export_says_so_without_server_details(signed_in, owner):
    export = Export(
        user_id=owner.id,
        status=ExportStatus.FAILED,
        error="PermissionError: [Errno 13] Permission denied: '/var/lib/folio/exports'",
    )
    db.session.add(export)
    db.session.commit()

    page = signed_in.get("/account/exports/").get_data(as_text=True)
    status = signed_in.get(f"/account/exports/{export.id}.json").json

    assert "Something went wrong" in page and "/var/lib" not in page
    assert status["status"] == "failed" and "/var/lib" not in status["error"]
