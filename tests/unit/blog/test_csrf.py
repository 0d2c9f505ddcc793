"""Every state-changing form in the blog and admin pages refuses a request without its token."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from folio_common.extensions import db
from folio_common.models import Comment, Follow, Post, Role, User
from tests.factories import CommentFactory, UserFactory


@pytest.fixture
def world(committed, login_as):
    with committed():
        admin = UserFactory(admin=True)
        comment = CommentFactory()
        other = UserFactory(reader=True)
    login_as(admin)
    return {"admin": admin, "comment": comment, "post": comment.post, "other": other}


def _paths(world) -> list[tuple[str, dict[str, str]]]:
    slug, author = world["post"].slug, world["post"].author.username
    other = world["other"].id
    return [
        ("/write", {"title": "T", "body": "B", "status": "published"}),
        (f"/posts/{slug}/edit", {"title": "T", "body": "B", "status": "published"}),
        (f"/posts/{slug}/delete", {}),
        (f"/posts/{slug}/comments", {"body": "hello"}),
        (f"/comments/{world['comment'].id}/delete", {}),
        (f"/authors/{author}/follow", {}),
        (f"/authors/{author}/unfollow", {}),
        (f"/admin/users/{other}/role", {"role": "admin"}),
        (f"/admin/users/{other}/active", {"active": "0"}),
    ]


@pytest.mark.parametrize("index", range(9))
def test_a_post_without_a_csrf_token_is_refused(app, client, world, index):
    path, data = _paths(world)[index]

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)


def test_a_wrong_token_changes_nothing(app, client, world):
    for path, data in _paths(world):
        assert client.post(path, data={"csrf_token": "forged", **data}).status_code == 400

    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(Post)).scalar_one()
        comments = db.session.execute(select(func.count()).select_from(Comment)).scalar_one()
        follows = db.session.execute(select(func.count()).select_from(Follow)).scalar_one()
        other = db.session.get(User, world["other"].id)
        assert (count, comments, follows) == (1, 1, 0)
        assert other.role == Role.READER and other.active
