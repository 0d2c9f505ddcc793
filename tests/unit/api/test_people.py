"""Comments, tags, profiles, following and exports through the API."""

from __future__ import annotations

import io
import zipfile

from tests.helpers import wait_until
from tests.unit.api.conftest import ON_BOTH_DATABASES, assert_problem

pytestmark = ON_BOTH_DATABASES


def comments_url(post_id: int) -> str:
    return f"/api/v1/posts/{post_id}/comments"


def test_a_reader_comments_on_a_published_post(client, author, reader, make_post):
    post_id = make_post(author)
    response = client.post(comments_url(post_id), json={"body": "Nice!"}, headers=reader.bearer)
    assert response.status_code == 201
    listing = client.get(comments_url(post_id)).get_json()
    assert [c["body"] for c in listing["data"]] == ["Nice!"]
    assert listing["meta"]["total"] == 1


def test_comments_on_drafts_are_refused(client, author, make_post):
    post_id = make_post(author, draft=True)
    response = client.post(comments_url(post_id), json={"body": "Hi"}, headers=author.bearer)
    assert_problem(response, 409)


def test_an_empty_comment_names_the_field(client, author, make_post):
    post_id = make_post(author)
    response = client.post(comments_url(post_id), json={"body": "   "}, headers=author.bearer)
    assert assert_problem(response, 422)["errors"][0]["field"] == "body"


def test_unconfirmed_accounts_cannot_comment(app, client, author, make_post):
    from folio_common.extensions import db
    from folio_common.models import User

    post_id = make_post(author)
    with app.app_context():
        db.session.get(User, author.id).confirmed_at = None
        db.session.commit()
    response = client.post(comments_url(post_id), json={"body": "Hi"}, headers=author.bearer)
    assert_problem(response, 403)


def test_who_may_delete_a_comment(client, make_person, make_post):
    post_author, commenter, stranger = make_person(), make_person(), make_person()
    post_id = make_post(post_author)

    def comment() -> str:
        made = client.post(comments_url(post_id), json={"body": "x"}, headers=commenter.bearer)
        return f"{comments_url(post_id)}/{made.get_json()['id']}"

    url = comment()
    assert_problem(client.delete(url, headers=stranger.bearer), 403)
    assert client.delete(url, headers=commenter.bearer).status_code == 204
    assert client.delete(comment(), headers=post_author.bearer).status_code == 204
    assert_problem(client.delete(url, headers=commenter.bearer), 404)


def test_tags_come_with_their_counts(client, author, make_post):
    make_post(author, tags=("python",))
    make_post(author, tags=("python", "web"))
    make_post(author, tags=("drafts-only",), draft=True)
    data = client.get("/api/v1/tags").get_json()["data"]
    assert data == [
        {"name": "python", "slug": "python", "posts": 2},
        {"name": "web", "slug": "web", "posts": 1},
    ]


def test_a_public_profile(client, author, make_post):
    make_post(author)
    profile = client.get(f"/api/v1/users/{author.username}").get_json()
    assert profile["username"] == author.username
    assert profile["posts"] == 1
    assert "email" not in profile


def test_profiles_are_not_found_by_email_or_for_nobody(client, author):
    assert_problem(client.get(f"/api/v1/users/{author.username}@example.com"), 404)
    assert_problem(client.get("/api/v1/users/nobody_here"), 404)


def test_me_shows_the_private_bits(client, author):
    me = client.get("/api/v1/me", headers=author.bearer).get_json()
    assert me["email"] == f"{author.username}@example.com"
    assert me["confirmed"] is True


def test_following_and_unfollowing(client, author, reader):
    url = f"/api/v1/users/{author.username}/follow"
    assert client.put(url, headers=reader.bearer).status_code == 204
    assert client.put(url, headers=reader.bearer).status_code == 204
    assert client.get(f"/api/v1/users/{author.username}").get_json()["followers"] == 1
    assert client.get("/api/v1/me", headers=reader.bearer).get_json()["following"] == 1
    assert client.delete(url, headers=reader.bearer).status_code == 204
    assert client.get(f"/api/v1/users/{author.username}").get_json()["followers"] == 0


def test_following_yourself_or_a_reader_is_refused(client, author, reader):
    assert_problem(
        client.put(f"/api/v1/users/{author.username}/follow", headers=author.bearer), 422
    )
    assert_problem(
        client.put(f"/api/v1/users/{reader.username}/follow", headers=author.bearer), 422
    )


def test_an_export_runs_and_downloads(client, author, make_post):
    make_post(author, slug="exported-post")
    started = client.post("/api/v1/exports", headers=author.bearer)
    assert started.status_code == 202

    def finished():
        status = client.get(started.headers["Location"], headers=author.bearer).get_json()
        assert status["status"] != "failed", status
        return status if status["status"] == "done" else None

    status = wait_until(finished, what="the export to finish")
    assert status["progress"] == 100
    download = client.get(status["download_url"], headers=author.bearer)
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    download.close()
    assert "posts/exported-post.md" in names
    listed = client.get("/api/v1/exports", headers=author.bearer).get_json()
    assert [e["id"] for e in listed] == [status["id"]]


def test_exports_are_private(client, make_person):
    owner, stranger = make_person(), make_person()
    url = client.post("/api/v1/exports", headers=owner.bearer).headers["Location"]
    assert_problem(client.get(url, headers=stranger.bearer), 404)
    assert_problem(client.get(f"{url}/download", headers=stranger.bearer), 404)


def test_an_unfinished_export_cannot_be_downloaded(app, client, author):
    from folio_common.extensions import db
    from folio_common.models import Export, ExportStatus

    with app.app_context():
        export = Export(user_id=author.id, status=ExportStatus.RUNNING, progress=40)
        db.session.add(export)
        db.session.commit()
        export_id = export.id
    url = f"/api/v1/exports/{export_id}"
    assert client.get(url, headers=author.bearer).get_json()["progress"] == 40
    assert_problem(client.get(f"{url}/download", headers=author.bearer), 409)
    assert_problem(client.post("/api/v1/exports", headers=author.bearer), 409)
