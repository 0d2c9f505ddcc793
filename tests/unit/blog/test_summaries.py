"""Summaries are plain text, escaped exactly once wherever they are shown."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from folio_common.markdown import plain_summary
from tests.factories import PostFactory, TagFactory

BODY = 'Fish & chips, 1 < 2 and "quotes" **bold**'
PLAIN = 'Fish & chips, 1 < 2 and "quotes" bold'


def test_a_summary_is_plain_text():
    assert plain_summary(BODY) == PLAIN
    assert plain_summary("<script>alert(1)</script>Safe") == "Safe"


def test_pages_feeds_and_the_api_escape_a_summary_once(client, committed):
    with committed():
        tag = TagFactory(name="food")
        PostFactory(title="Supper", body_markdown=BODY, tags=[tag])

    for path in ("/", "/tags/food", "/search?q=chips"):
        page = client.get(path).get_data(as_text=True)
        assert "Fish &amp; chips, 1 &lt; 2" in page, path
        assert "&amp;amp;" not in page and "&amp;lt;" not in page, path
    feed = ET.fromstring(client.get("/feed.atom").data)  # noqa: S314 - our own output
    summary = feed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
    assert summary.text == PLAIN
    (post,) = client.get("/api/v1/posts").get_json()["data"]
    assert post["summary"] == PLAIN
