"""A post page's extras: reading time, the author's box, their other posts, comment Markdown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from folio_common.extensions import db
from folio_common.models import Comment, Post, utcnow
from tests.factories import CommentFactory, PostFactory, UserFactory


def test_a_post_shows_its_reading_time(client, committed):
    with committed():
        PostFactory(slug="long", body_markdown="word " * 500)

    assert "3 min read" in client.get("/posts/long").text


def test_a_post_shows_its_authors_initials_and_bio(client, committed):
    with committed():
        author = UserFactory(display_name="Ada Lovelace", bio="Wrote the first program.")
        PostFactory(slug="notes", author=author)

    page = client.get("/posts/notes").text

    assert '<span class="avatar avatar-large" aria-hidden="true">AL</span>' in page
    assert "Wrote the first program." in page


def test_more_from_the_author_lists_their_newest_other_published_posts(client, committed):
    now = utcnow()
    with committed():
        author = UserFactory(display_name="Ada")
        for days in range(5):
            PostFactory(
                author=author, title=f"Older {days}", published_at=now - timedelta(days=days + 1)
            )
        PostFactory(author=author, title="Unfinished", draft=True)
        PostFactory(title="Someone else's")
        PostFactory(author=author, slug="this-one", title="This one", published_at=now)

    page = client.get("/posts/this-one").text
    more = page.split('id="more-from-title"', 1)[1]

    assert "More from Ada" in page
    assert [f"Older {n}" in more for n in range(5)] == [True, True, True, False, False]
    assert "Unfinished" not in more and "Someone else" not in more and "This one" not in more


def test_an_authors_only_post_shows_no_more_from_list(client, committed):
    with committed():
        PostFactory(slug="alone")
    assert "more-from-title" not in client.get("/posts/alone").text


def test_a_comment_is_posted_with_markdown_and_shown_rendered(
    client, committed, login_as, post_form
):
    with committed():
        post = PostFactory(slug="talk")
        reader = UserFactory(reader=True)
    login_as(reader)

    post_form(
        "/posts/talk/comments",
        {"body": "**Yes**, see [this](https://example.org). ![no](https://example.org/i.png)"},
        form_path="/posts/talk",
    )

    page = client.get(f"/posts/{post.slug}").text
    assert "<strong>Yes</strong>" in page
    assert '<a href="https://example.org" rel="nofollow ugc noopener noreferrer">this</a>' in page
    assert "<img" not in page.split('id="comments"', 1)[1]


def test_a_comment_from_before_rendering_shows_as_plain_text(client, committed):
    with committed():
        CommentFactory(post=PostFactory(slug="old"), body="*not rendered*\nyet", body_html=None)

    page = client.get("/posts/old").text

    assert '<p class="comment-body plain">*not rendered*\nyet</p>' in page


def test_rerender_fills_in_old_comments_and_brings_old_posts_up_to_date(app, committed, runner):
    with committed():
        post = PostFactory(body_markdown="```python\nx = 1\n```", body_html="<pre>x = 1</pre>")
        post.word_count = 0
        CommentFactory(post=post, body="*hi*", body_html=None)

    result = runner.invoke(args=["rerender", "--batch-size", "1"])

    assert result.exit_code == 0, result.output
    assert "posts done: 1 changed" in result.output
    assert "comments done: 1 changed" in result.output
    with app.app_context():
        stored = db.session.execute(select(Post)).scalar_one()
        assert 'class="highlight"' in stored.body_html and stored.word_count == 2  # x, 1
        assert db.session.execute(select(Comment.body_html)).scalar_one() == "<p><em>hi</em></p>\n"
    again = runner.invoke(args=["rerender"])
    assert "posts done: 0 changed" in again.output
