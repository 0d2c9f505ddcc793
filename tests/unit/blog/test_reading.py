"""Reading stories: the index, post pages, tags, author pages and unknown addresses."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from folio_common.models import utcnow
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory


def test_index_lists_published_posts_but_not_drafts(client, committed):
    with committed():
        author = UserFactory(display_name="Ada Lovelace")
        tag = TagFactory(name="engines")
        published = PostFactory(author=author, title="On engines", tags=[tag])
        draft = PostFactory(author=author, title="Half an idea", draft=True)

    page = client.get("/").get_data(as_text=True)

    assert published.title in page
    assert "Ada Lovelace" in page
    assert published.summary in page
    assert "/tags/engines" in page
    assert draft.title not in page


def test_index_is_paginated_newest_first(app, client, committed):
    app.config["POSTS_PER_PAGE"] = 2
    with committed():
        titles = []
        for age in range(5):
            post = PostFactory(published_at=utcnow() - timedelta(hours=age))
            titles.append(post.title)

    first = client.get("/").get_data(as_text=True)
    second = client.get(_link(first, "next")).get_data(as_text=True)
    third = client.get(_link(second, "next")).get_data(as_text=True)
    back = client.get(_link(third, "prev")).get_data(as_text=True)
    # Links made before the older/newer cursors still answer.
    old_style = client.get("/?page=3").get_data(as_text=True)

    assert titles[0] in first and titles[1] in first and titles[2] not in first
    assert titles[2] in second and titles[3] in second and titles[1] not in second
    assert titles[4] in third and 'rel="next"' not in third
    assert titles[2] in back and titles[3] in back and titles[4] not in back
    assert titles[4] in old_style and titles[0] not in old_style


def _link(page: str, rel: str) -> str:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)
    assert found, f"no {rel} link"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99", "9" * 40, "", "1.5"])
def test_odd_page_numbers_never_fail(client, committed, page):
    with committed():
        PostFactory()

    response = client.get(f"/?page={page}")

    assert response.status_code == 200


def test_a_page_past_the_end_says_so(client, committed):
    with committed():
        PostFactory()

    page = client.get("/?page=50").get_data(as_text=True)

    assert "There are no posts on this page." in page


def test_post_page_shows_body_tags_author_and_comments(client, committed):
    with committed():
        tag = TagFactory(name="history")
        post = PostFactory(body_markdown="Hello **bold** world", tags=[tag])
        post.body_html = "<p>Hello <strong>bold</strong> world</p>"
        comment = CommentFactory(post=post, body="Nice <b>one</b>")
        author_name = post.author.username
        commenter = comment.author.username

    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)

    assert "<strong>bold</strong>" in page
    assert "/tags/history" in page
    assert f"/authors/{author_name}" in page
    assert f"/authors/{commenter}" in page
    # Comments are plain text: their markup is shown, never interpreted.
    assert "Nice &lt;b&gt;one&lt;/b&gt;" in page


def test_unknown_post_is_404(client):
    assert client.get("/posts/no-such-post").status_code == 404


def test_unknown_pages_get_a_styled_404(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "There is nothing at this address" in page
    assert "site.css" in page


def test_draft_is_404_to_visitors_and_other_users(client, committed, login_as):
    with committed():
        draft = PostFactory(draft=True)
        stranger = UserFactory()

    assert client.get(f"/posts/{draft.slug}").status_code == 404
    login_as(stranger)
    assert client.get(f"/posts/{draft.slug}").status_code == 404


def test_draft_is_visible_to_its_author_and_admins(client, committed, login_as):
    with committed():
        author = UserFactory()
        admin = UserFactory(admin=True)
        draft = PostFactory(author=author, draft=True, title="Secret plans")

    login_as(author)
    page = client.get(f"/posts/{draft.slug}").get_data(as_text=True)
    assert "Secret plans" in page and "Draft" in page
    login_as(admin)
    assert client.get(f"/posts/{draft.slug}").status_code == 200


def test_scheduled_post_stays_hidden_until_published(client, committed, login_as):
    with committed():
        author = UserFactory()
        scheduled = PostFactory(
            author=author,
            scheduled=True,
            publish_at=utcnow() + timedelta(days=1),
            title="Tomorrow's news",
        )

    assert client.get(f"/posts/{scheduled.slug}").status_code == 404
    assert "Tomorrow&#39;s news" not in client.get("/").get_data(as_text=True)
    login_as(author)
    page = client.get(f"/authors/{author.username}").get_data(as_text=True)
    assert "Tomorrow&#39;s news" in page and "Scheduled for" in page


def test_tag_page_lists_only_posts_with_that_tag(client, committed):
    with committed():
        tag = TagFactory(name="poetry")
        tagged = PostFactory(tags=[tag])
        other = PostFactory()
        hidden = PostFactory(tags=[tag], draft=True)

    page = client.get("/tags/poetry").get_data(as_text=True)

    assert tagged.title in page
    assert other.title not in page
    assert hidden.title not in page


def test_unknown_tag_is_404(client):
    assert client.get("/tags/nothing-here").status_code == 404


def test_tags_page_counts_published_posts(client, committed):
    with committed():
        tag = TagFactory(name="maths")
        PostFactory(tags=[tag])
        PostFactory(tags=[tag])
        PostFactory(tags=[tag], draft=True)

    page = client.get("/tags").get_data(as_text=True)

    assert "/tags/maths" in page
    assert "2 posts" in page


def test_author_page_lists_their_published_posts_and_followers(client, committed):
    with committed():
        author = UserFactory(bio="Writes about looms.")
        mine = PostFactory(author=author)
        draft = PostFactory(author=author, draft=True)
        theirs = PostFactory()

    page = client.get(f"/authors/{author.username.upper()}").get_data(as_text=True)

    assert mine.title in page
    assert draft.title not in page
    assert theirs.title not in page
    assert "Writes about looms." in page
    assert "0 followers" in page


def test_author_sees_their_own_drafts_on_their_page(client, committed, login_as):
    with committed():
        author = UserFactory()
        draft = PostFactory(author=author, draft=True)

    login_as(author)
    page = client.get(f"/authors/{author.username}").get_data(as_text=True)

    assert draft.title in page


def test_unknown_author_is_404(client):
    assert client.get("/authors/nobody").status_code == 404


def test_an_authors_drafts_come_a_page_at_a_time(client, committed, login_as):
    with committed():
        author = UserFactory()
        drafts = [
            PostFactory(author=author, draft=True, title=f"Draft number {n:02}") for n in range(12)
        ]
    login_as(author)

    first = client.get(f"/authors/{author.username}").get_data(as_text=True)
    shown = {d.title for d in drafts if d.title in first}
    assert len(shown) == 10
    assert "?drafts=2#drafts" in first

    second = client.get(f"/authors/{author.username}?drafts=2").get_data(as_text=True)
    assert {d.title for d in drafts if d.title in second} == {d.title for d in drafts} - shown
