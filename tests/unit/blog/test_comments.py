"""Comment stories: who may comment, and who may remove a comment."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from folio_common.extensions import db
from folio_common.models import Comment
from tests.factories import CommentFactory, PostFactory, UserFactory


def _comment_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Comment)).scalar_one()


def test_a_signed_in_reader_comments_on_a_post(client, committed, login_as, post_form):
    with committed():
        post = PostFactory()
        reader = UserFactory(reader=True, username="grace")
    login_as(reader)

    response = post_form(
        f"/posts/{post.slug}/comments",
        {"body": "What a <i>lovely</i> machine."},
        form_path=f"/posts/{post.slug}",
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert response.request.path == f"/posts/{post.slug}"
    assert "Your comment is posted." in page
    assert "What a &lt;i&gt;lovely&lt;/i&gt; machine." in page
    assert "1 comment" in page


def test_an_empty_comment_is_shown_again_with_a_message(
    app, client, committed, login_as, post_form
):
    with committed():
        post = PostFactory()
        reader = UserFactory(reader=True)
    login_as(reader)

    response = post_form(
        f"/posts/{post.slug}/comments", {"body": "   "}, form_path=f"/posts/{post.slug}"
    )

    assert response.status_code == 200
    assert "A comment cannot be empty." in response.get_data(as_text=True)
    assert _comment_count(app) == 0


def test_a_draft_cannot_be_commented_on_by_its_author(app, client, committed, login_as, post_form):
    with committed():
        draft = PostFactory(draft=True)
    login_as(draft.author)

    response = post_form(
        f"/posts/{draft.slug}/comments", {"body": "Note to self"}, form_path=f"/posts/{draft.slug}"
    )

    assert "Comments open once a post is published." in response.get_data(as_text=True)
    assert _comment_count(app) == 0


def test_visitors_see_no_comment_form_and_are_sent_to_log_in(client, committed):
    with committed():
        post = PostFactory()

    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    response = client.post(f"/posts/{post.slug}/comments", data={"body": "hi"})

    assert "Log in</a> to comment" in page
    # CSRF comes first: a visitor has no token, so the request is refused outright.
    assert response.status_code == 400


def test_an_unconfirmed_user_cannot_comment(app, client, committed, login_as, post_form):
    with committed():
        post = PostFactory()
        user = UserFactory(unconfirmed=True, reader=True)
    login_as(user)

    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    response = post_form(f"/posts/{post.slug}/comments", {"body": "hello"})

    assert "Confirm your email address to comment." in page
    assert response.status_code == 302
    assert _comment_count(app) == 0


@pytest.mark.parametrize("who", ["comment author", "post author", "admin"])
def test_a_comment_can_be_deleted_by_its_author_the_post_author_or_an_admin(
    app, client, committed, login_as, post_form, who
):
    with committed():
        comment = CommentFactory()
        users = {
            "comment author": comment.author,
            "post author": comment.post.author,
            "admin": UserFactory(admin=True),
        }
        slug = comment.post.slug
    login_as(users[who])

    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert f"/comments/{comment.id}/delete" in page
    response = post_form(f"/comments/{comment.id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{slug}#comments"
    assert _comment_count(app) == 0


def test_others_cannot_delete_a_comment(app, client, committed, login_as, post_form):
    with committed():
        comment = CommentFactory()
        stranger = UserFactory(reader=True)
        slug = comment.post.slug
    login_as(stranger)

    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    response = post_form(f"/comments/{comment.id}/delete")

    assert f"/comments/{comment.id}/delete" not in page
    assert response.status_code == 403
    assert _comment_count(app) == 1


def test_deleting_a_missing_comment_is_404(client, committed, login_as, post_form):
    with committed():
        user = UserFactory()
    login_as(user)

    assert post_form("/comments/999/delete").status_code == 404


def test_comments_come_a_page_at_a_time_and_a_new_one_lands_on_the_last(
    client, committed, login_as, post_form, monkeypatch
):
    monkeypatch.setattr("folio_web.blog.views.COMMENTS_PER_PAGE", 2)
    with committed():
        post = PostFactory()
        for number in range(1, 4):
            CommentFactory(post=post, body=f"Remark number {number}")
        reader = UserFactory(reader=True)

    first = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "3 comments" in first
    assert "Remark number 1" in first and "Remark number 2" in first
    assert "Remark number 3" not in first
    assert f'href="/posts/{post.slug}?page=2#comments">Later comments' in first

    second = client.get(f"/posts/{post.slug}?page=2").get_data(as_text=True)
    assert "Remark number 3" in second and "Remark number 1" not in second
    assert f'href="/posts/{post.slug}#comments">← Earlier comments' in second

    login_as(reader)
    response = post_form(
        f"/posts/{post.slug}/comments", {"body": "The fourth"}, form_path=f"/posts/{post.slug}"
    )
    assert response.status_code == 302
    assert f"/posts/{post.slug}?page=2#comment-" in response.headers["Location"]
