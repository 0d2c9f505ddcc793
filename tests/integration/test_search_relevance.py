"""Search relevance on Postgres: a fixture set of queries, each with the post it must put first.

The posts compete on purpose: the expected post is never the newest match, so a list ordered by
date alone fails, and each query has a weaker match (the word in the text only, or once) that
ranks below. Covers title over text, tag names, word prefixes, several words and stemming.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from folio_common.extensions import db
from folio_common.models import utcnow
from folio_common.services import posts
from tests.factories import PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.integration

# (title, body, tags); the list runs oldest to newest.
CORPUS = [
    ("Lighthouses of the northern coast", "Keepers, lamps and storms.", ()),
    ("Tidal energy in small harbours", "Turbines under the quay turn with the tide.", ()),
    ("Observing the night sky", "A small telescope and patience.", ("Astronomy",)),
    ("Building telescopes at home", "Grinding a mirror takes weeks.", ()),
    ("A walk on the pier", "We passed a lighthouse on the way back to the harbour.", ()),
    ("Energy bills this winter", "Tidal charts were no help with the bills.", ()),
    ("Notes from the club", "Someone mentioned astronomy once.", ()),
    ("Garden diary", "Tomatoes, beans, and a telescope for birds.", ()),
]

# query -> the title that must come first
EXPECTED = {
    # The word in a title outranks the same word in the text of a newer post.
    "lighthouse": "Lighthouses of the northern coast",
    # Both words in the title beat both words scattered in a newer post's text.
    "tidal energy": "Tidal energy in small harbours",
    # A tag name outranks a passing mention in the text.
    "astronomy": "Observing the night sky",
    # A half-typed tag name matches as a prefix too, above the same prefix in a text.
    "astro": "Observing the night sky",
    # A half-typed last word matches as a prefix; the title match wins.
    "telesc": "Building telescopes at home",
    # Stemming: "harbour" finds "harbours".
    "harbour": "Tidal energy in small harbours",
}


@pytest.fixture
def corpus(app):
    with app.app_context():
        author = UserFactory()
        start = utcnow() - timedelta(days=len(CORPUS))
        for age, (title, body, tag_names) in enumerate(CORPUS):
            tags = [TagFactory(name=name, slug=name.lower()) for name in tag_names]
            PostFactory(
                author=author,
                title=title,
                body_markdown=body,
                tags=tags,
                published_at=start + timedelta(days=age),
            )
        db.session.commit()
    return app


@pytest.mark.parametrize(("q", "first"), EXPECTED.items())
def test_each_query_puts_its_post_first(corpus, q, first):
    with corpus.app_context():
        results = posts.search_posts(q)

        assert results.hits, f"nothing found for {q!r}"
        assert results.hits[0].post.title == first
        assert len(results.hits) > 1, f"{q!r} should also find a weaker match"


def test_hits_carry_snippets_with_the_words_marked_and_the_text_escaped(corpus):
    with corpus.app_context():
        PostFactory(title="Markup", body_markdown="Fish & chips for the <b>keeper</b>")
        db.session.commit()

        results = posts.search_posts("keeper")

        snippet = str(results.hits[0].snippet)
        assert "<mark>keeper</mark>" in snippet
        # The text is escaped (markup in it never reaches the page as markup).
        assert "Fish &amp; chips" in snippet and "<b>" not in snippet


def test_a_word_no_post_contains_finds_nothing(corpus):
    with corpus.app_context():
        results = posts.search_posts("zzqxjv")

        assert results.hits == [] and results.total == 0 and not results.capped


def test_a_tag_given_or_taken_after_publication_changes_what_search_finds(corpus):
    """The post_tags triggers rewrite the post's search document as its tags change."""
    with corpus.app_context():
        post = posts.get_post_by_slug(PostFactory(title="Quiet evening").slug)
        db.session.commit()
        assert not posts.search_posts("meteorology").hits

        posts.update_post(post, tags="Meteorology, Clouds")
        db.session.commit()
        assert [hit.post.id for hit in posts.search_posts("meteorology").hits] == [post.id]
        assert [hit.post.id for hit in posts.search_posts("cloud").hits] == [post.id]

        posts.update_post(post, tags="Clouds")
        db.session.commit()
        assert not posts.search_posts("meteorology").hits
        assert [hit.post.id for hit in posts.search_posts("clouds").hits] == [post.id]
