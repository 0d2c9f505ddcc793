"""An export started on the web is built by the worker; the download holds the posts."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from folio_common.extensions import db
from folio_common.models import Export
from folio_common.services import exports
from tests.factories import PostFactory, UserFactory
from tests.helpers import csrf_token, wait_until

pytestmark = pytest.mark.integration


def test_an_export_runs_to_completion_in_the_worker(app, client, auth, export_dir):
    with app.app_context():
        author = UserFactory(username="exporter")
        PostFactory.create_batch(12, author=author)
        PostFactory(author=author, title="Still a draft", slug="still-a-draft", draft=True)
        db.session.commit()
    assert auth.login("exporter").status_code == 302

    token = csrf_token(client, "/account/exports/")
    assert client.post("/account/exports/", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        export_id = db.session.execute(db.select(Export.id)).scalar_one()

    def finished() -> dict | None:
        status = client.get(f"/account/exports/{export_id}.json").json
        assert status["status"] != "failed", status
        return status if status["status"] == "done" else None

    status = wait_until(finished, what="the export to finish")
    assert status["progress"] == 100

    response = client.get(status["download_url"])
    assert response.status_code == 200
    body = response.data
    response.close()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        metadata = json.loads(archive.read("posts.json"))
    assert len([name for name in names if name.startswith("posts/")]) == 13
    assert "posts/still-a-draft.md" in names
    assert metadata["count"] == 13 and metadata["author"] == "exporter"

    # The worker wrote it into the shared export directory, under an unguessable name.
    with app.app_context():
        path = exports.export_path(db.session.get(Export, export_id))
    assert path is not None and path.parent == export_dir and path.is_file()
    assert path.read_bytes() == body
