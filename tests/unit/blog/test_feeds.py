"""Feeds built from the configured origin, per-author feeds, and conditional GET on every feed."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from tests.factories import PostFactory, TagFactory, UserFactory

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ("/feed.atom", "/tags/looms/feed.atom", "/authors/weaver/feed.atom")


def parse_feed(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own output, parsed to prove it is well-formed


# The page cache on, as in production: a forged Host must not end up in a cached copy.
pytestmark = pytest.mark.settings(PAGE_CACHE="true", PREFERRED_URL_SCHEME="https")


@pytest.fixture
def weaver_posts(committed):
    with committed():
        weaver = UserFactory(username="weaver", display_name="Jacquard")
        tag = TagFactory(name="looms")
        PostFactory(author=weaver, tags=[tag], title="Cards and hooks")
        PostFactory(author=weaver, draft=True, title="Unfinished loom")
        PostFactory(title="Someone else's post")


def test_a_forged_host_never_reaches_a_feed(client, weaver_posts):
    for path in FEEDS:
        forged = client.get(path, headers={"Host": "evil.example"})
        honest = client.get(path)
        for response in (forged, honest):
            text = response.get_data(as_text=True)
            assert "evil.example" not in text, path
            assert "https://folio.test/" in text, path


@pytest.mark.parametrize("server_name", ["folio.test", ""])
def test_entry_ids_are_the_same_for_every_reader(app, weaver_posts, server_name):
    app.config["SERVER_NAME"] = server_name or None
    client = app.test_client()

    def ids(host: str) -> list[str]:
        feed = parse_feed(client.get("/feed.atom", headers={"Host": host}).data)
        return [entry.findtext(f"{ATOM}id") for entry in feed.findall(f"{ATOM}entry")]

    first = ids("evil.example:8443")
    assert first == ids("other.example")
    host = server_name or "localhost"
    assert first and all(entry_id.startswith(f"tag:{host},") for entry_id in first)


def test_an_author_has_a_feed_of_their_published_posts(client, weaver_posts):
    response = client.get("/authors/weaver/feed.atom")
    feed = parse_feed(response.data)

    assert response.mimetype == "application/atom+xml"
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == ["Cards and hooks"]
    assert client.get("/authors/nobody/feed.atom").status_code == 404
    page = client.get("/authors/weaver").get_data(as_text=True)
    assert 'href="/authors/weaver/feed.atom"' in page


@pytest.mark.parametrize("path", FEEDS)
def test_every_feed_answers_a_conditional_get_with_304(client, weaver_posts, path):
    first = client.get(path)
    assert first.headers["ETag"]
    assert first.headers["Last-Modified"]

    by_etag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    stale = client.get(path, headers={"If-None-Match": '"something-else"'})

    assert by_etag.status_code == 304
    assert by_date.status_code == 304
    assert stale.status_code == 200
