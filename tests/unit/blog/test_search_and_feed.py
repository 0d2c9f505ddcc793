"""Search and the Atom feeds."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

from folio_common.models import utcnow
from tests.factories import PostFactory, TagFactory, UserFactory

ATOM = "{http://www.w3.org/2005/Atom}"


def parse_feed(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own output, parsed to prove it is well-formed


def test_search_finds_posts_by_words_in_title_or_text(client, committed):
    with committed():
        in_title = PostFactory(title="Weaving with punched cards")
        in_body = PostFactory(body_markdown="The loom reads punched cards one by one.")
        unrelated = PostFactory(title="Gardening")
        draft = PostFactory(title="Punched cards draft", draft=True)

    page = client.get("/search?q=punched+CARDS").get_data(as_text=True)

    assert in_title.title in page
    assert in_body.title in page
    assert unrelated.title not in page
    assert draft.title not in page
    assert "2 posts found" in page


def test_search_without_words_shows_a_hint(client):
    page = client.get("/search?q=+++").get_data(as_text=True)

    assert "Type a few words to search" in page


def test_search_with_wildcards_matches_them_literally(client, committed):
    with committed():
        PostFactory(title="Anything at all")

    page = client.get("/search?q=%25").get_data(as_text=True)

    assert "0 posts found" in page


def test_feed_is_atom_xml_with_entries_and_absolute_links(client, committed):
    with committed():
        author = UserFactory(display_name="Ada <Lovelace>")
        tag = TagFactory(name="engines")
        older = PostFactory(
            author=author, title="First & foremost", published_at=utcnow() - timedelta(days=1)
        )
        newer = PostFactory(author=author, tags=[tag], body_markdown="<b>x</b> & **y**")
        draft = PostFactory(author=author, draft=True)

    response = client.get("/feed.atom")

    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = parse_feed(response.data)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [newer.title, older.title]
    assert draft.title not in response.get_data(as_text=True)
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == f"http://folio.test/posts/{newer.slug}"
    assert entries[1].findtext(f"{ATOM}author/{ATOM}name") == "Ada <Lovelace>"
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<strong>y</strong>" in content.text
    assert entries[0].find(f"{ATOM}category").get("term") == "engines"
    self_link = next(x for x in feed.findall(f"{ATOM}link") if x.get("rel") == "self")
    assert self_link.get("href") == "http://folio.test/feed.atom"


def test_feed_holds_the_latest_twenty_posts(client, committed):
    with committed():
        author = UserFactory()
        for _ in range(22):
            PostFactory(author=author)

    feed = parse_feed(client.get("/feed.atom").data)

    assert len(feed.findall(f"{ATOM}entry")) == 20


def test_an_empty_feed_is_still_valid(client):
    feed = parse_feed(client.get("/feed.atom").data)

    assert feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}updated")


def test_a_tag_has_its_own_feed(client, committed):
    with committed():
        tag = TagFactory(name="looms")
        tagged = PostFactory(tags=[tag])
        PostFactory()

    response = client.get("/tags/looms/feed.atom")
    feed = parse_feed(response.data)

    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == [tagged.title]
    assert client.get("/tags/nothing/feed.atom").status_code == 404


def test_search_matches_an_underscore_literally(client, committed):
    with committed():
        match = PostFactory(title="snake_case names")
        other = PostFactory(title="snakescase")

    page = client.get("/search?q=e_c").get_data(as_text=True)

    assert match.title in page
    assert other.title not in page
