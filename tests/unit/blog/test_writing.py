"""Writing stories: new posts, drafts, scheduling, editing, deleting and who may do each."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from folio_common.extensions import db
from folio_common.models import Post, PostStatus, Tag, utcnow
from tests.factories import PostFactory, UserFactory
from tests.helpers import assert_sent_to_log_in

UNSAFE_ATTRIBUTE = re.compile(
    r"<[a-z][^>]*\s(on[a-z]+|style)\s*=|<[a-z][^>]*\s(href|src)\s*=\s*[\"']?\s*(javascript|data):"
)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _post(app, slug: str) -> Post:
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.slug == slug)).scalar_one()
        db.session.expunge(post)
        return post


def test_author_publishes_a_tagged_post_that_shows_on_index_and_tag_page(client, author, post_form):
    response = post_form(
        "/write",
        {
            "title": "Notes on the Analytical Engine",
            "body": "The engine *weaves* algebraic patterns.",
            "tags": "Engines, history",
            "status": "published",
        },
        form_path="/write",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/posts/notes-on-the-analytical-engine"
    post_page = client.get("/posts/notes-on-the-analytical-engine").get_data(as_text=True)
    assert "<em>weaves</em>" in post_page
    assert "is published" in post_page
    assert "Notes on the Analytical Engine" in client.get("/").get_data(as_text=True)
    assert "Notes on the Analytical Engine" in client.get("/tags/engines").get_data(as_text=True)
    assert "Notes on the Analytical Engine" in client.get("/tags/history").get_data(as_text=True)


def test_a_draft_is_saved_but_not_listed(app, client, author, post_form):
    post_form(
        "/write",
        {"title": "Thinking aloud", "body": "Not ready.", "status": "draft"},
        form_path="/write",
        follow_redirects=True,
    )

    assert _post(app, "thinking-aloud").status == PostStatus.DRAFT
    assert "Thinking aloud" not in client.get("/").get_data(as_text=True)
    assert client.get("/posts/thinking-aloud").status_code == 200


def test_a_post_can_be_scheduled_in_utc(app, client, author, post_form):
    when = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)

    post_form(
        "/write",
        {
            "title": "Later",
            "body": "Tomorrow's thoughts.",
            "status": "scheduled",
            "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
        },
        form_path="/write",
        follow_redirects=True,
    )

    post = _post(app, "later")
    assert post.status == PostStatus.SCHEDULED
    assert post.publish_at == when
    assert "Later" not in client.get("/").get_data(as_text=True)


def test_scheduling_without_a_time_asks_for_one(app, client, author, post_form):
    response = post_form(
        "/write",
        {"title": "When?", "body": "Some day.", "status": "scheduled", "publish_at": ""},
        form_path="/write",
    )

    assert response.status_code == 200
    assert "Choose when the post should be published." in response.get_data(as_text=True)
    assert _count(app, Post) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "   ", "body": "Text"}, "A post needs a title."),
        ({"title": "Title", "body": "  "}, "A post needs some text."),
        ({"title": "Title", "body": "Text", "tags": "fine, <script>"}, "is not a valid tag."),
        ({"title": "x" * 201, "body": "Text"}, "Titles can be at most 200 characters."),
    ],
)
def test_an_invalid_post_is_shown_again_with_the_reason_and_nothing_is_saved(
    app, client, author, post_form, data, message
):
    response = post_form("/write", {"status": "published", **data}, form_path="/write")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    # What the writer typed is still there.
    assert f'value="{data["title"]}"' in page
    assert _count(app, Post) == 0
    assert _count(app, Tag) == 0


def test_an_unknown_status_is_refused(app, client, author, post_form):
    response = post_form(
        "/write", {"title": "T", "body": "B", "status": "everywhere"}, form_path="/write"
    )

    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _count(app, Post) == 0


def test_two_posts_with_the_same_title_get_distinct_slugs(app, client, author, post_form):
    for _ in range(2):
        post_form(
            "/write",
            {"title": "Same title", "body": "Text", "status": "published"},
            form_path="/write",
        )

    assert client.get("/posts/same-title").status_code == 200
    assert client.get("/posts/same-title-2").status_code == 200
    assert _count(app, Post) == 2


def test_visitors_are_sent_to_log_in_before_writing(client):
    assert_sent_to_log_in(client.get("/write"))


def test_an_unconfirmed_author_is_told_to_confirm_before_writing(client, committed, login_as):
    with committed():
        user = UserFactory(unconfirmed=True)
    login_as(user)

    response = client.get("/write", follow_redirects=True)

    assert response.request.path == "/account/"
    assert "Please confirm your email address first." in response.get_data(as_text=True)


def test_a_reader_cannot_write(client, committed, login_as):
    with committed():
        reader = UserFactory(reader=True)
    login_as(reader)

    assert client.get("/write").status_code == 403


def test_the_author_edits_their_post(app, client, committed, login_as, post_form):
    with committed():
        post = PostFactory(title="First take", slug="first-take")
    login_as(post.author)

    form = client.get("/posts/first-take/edit").get_data(as_text=True)
    assert "First take" in form
    assert '<option selected value="published">Keep it published</option>' in form
    response = post_form(
        "/posts/first-take/edit",
        {"title": "Second take", "body": "Better *now*.", "tags": "drafts", "status": "published"},
        form_path="/posts/first-take/edit",
    )

    assert response.status_code == 302
    page = client.get("/posts/first-take").get_data(as_text=True)
    assert "Second take" in page and "<em>now</em>" in page and "/tags/drafts" in page


def test_an_invalid_edit_keeps_the_post_as_it_was(app, client, committed, login_as, post_form):
    with committed():
        post = PostFactory(title="Keep me", slug="keep-me")
    login_as(post.author)

    response = post_form(
        "/posts/keep-me/edit",
        {"title": "", "body": "Changed", "status": "published"},
        form_path="/posts/keep-me/edit",
    )

    assert "A post needs a title." in response.get_data(as_text=True)
    assert _post(app, "keep-me").title == "Keep me"


def test_an_admin_may_edit_any_post(client, committed, login_as):
    with committed():
        post = PostFactory()
        admin = UserFactory(admin=True)
    login_as(admin)

    assert client.get(f"/posts/{post.slug}/edit").status_code == 200


def test_someone_else_cannot_edit_a_post(client, committed, login_as, post_form):
    with committed():
        post = PostFactory()
        other = UserFactory()
    login_as(other)

    assert client.get(f"/posts/{post.slug}/edit").status_code == 403
    response = post_form(
        f"/posts/{post.slug}/edit", {"title": "Mine now", "body": "x", "status": "published"}
    )
    assert response.status_code == 403


def test_editing_a_missing_post_is_404(client, author):
    assert client.get("/posts/missing/edit").status_code == 404


def test_someone_elses_draft_is_404_even_on_its_edit_page(client, committed, login_as):
    with committed():
        draft = PostFactory(draft=True)
        other = UserFactory()
    login_as(other)

    assert client.get(f"/posts/{draft.slug}/edit").status_code == 404


def test_the_author_deletes_their_post(app, client, committed, login_as, post_form):
    with committed():
        post = PostFactory()
    login_as(post.author)

    response = post_form(f"/posts/{post.slug}/delete", form_path=f"/posts/{post.slug}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/authors/{post.author.username}"
    assert client.get(f"/posts/{post.slug}").status_code == 404
    assert _count(app, Post) == 0


def test_someone_else_cannot_delete_a_post(app, client, committed, login_as, post_form):
    with committed():
        post = PostFactory()
        other = UserFactory()
    login_as(other)

    assert post_form(f"/posts/{post.slug}/delete").status_code == 403
    assert _count(app, Post) == 1


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert('xss')</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<iframe src="https://evil.example/"></iframe>',
        '<p onclick="alert(1)" style="color:red">hi</p>',
        "<svg><script>alert(1)</script></svg>",
    ],
)
def test_markdown_cannot_put_scripts_on_the_page(client, author, post_form, markdown):
    post_form(
        "/write",
        {"title": "Tricky", "body": f"Before\n\n{markdown}\n\nAfter", "status": "published"},
        form_path="/write",
    )

    page = client.get("/posts/tricky").get_data(as_text=True)
    body = page[page.index('<div class="post-body">') : page.index("</article>")]
    lowered = body.lower()
    assert "After" in body
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered
    # Markup the sanitiser refuses may remain as visible text; it must never be an attribute.
    assert not UNSAFE_ATTRIBUTE.search(lowered)


def test_a_body_over_the_size_limit_is_refused_with_413(app, client, author):
    # The editor takes an image besides the text: its limit is the sum of the two.
    app.config["MAX_CONTENT_LENGTH"] = 1024
    app.config["IMAGE_MAX_BYTES"] = 1024

    response = client.post("/write", data={"title": "Big", "body": "x" * 4096})

    assert response.status_code == 413
    assert "larger than Folio accepts" in response.get_data(as_text=True)


def test_tags_that_share_a_slug_become_one_tag(app, client, author, post_form):
    post_form(
        "/write",
        {"title": "Languages", "body": "Text", "tags": "C#, c, C", "status": "published"},
        form_path="/write",
    )

    page = client.get("/posts/languages").get_data(as_text=True)
    assert page.count('href="/tags/c"') == 1
    assert _count(app, Tag) == 1


def test_editing_a_scheduled_post_shows_its_time_in_utc(client, committed, login_as):
    when = (utcnow() + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
    with committed():
        post = PostFactory(scheduled=True, publish_at=when)
    login_as(post.author)

    form = client.get(f"/posts/{post.slug}/edit").get_data(as_text=True)

    assert f'value="{when:%Y-%m-%dT%H:%M}"' in form
    assert "Publish at (UTC)" in form


def test_visitors_are_sent_to_log_in_before_editing(client, committed):
    with committed():
        post = PostFactory()

    assert_sent_to_log_in(client.get(f"/posts/{post.slug}/edit"))
