"""The Markdown rules: highlighted code, tables, the comments' small subset, word counts."""

from __future__ import annotations

import pytest

from folio_common.markdown import (
    CODE_STYLES,
    code_stylesheet,
    count_words,
    reading_minutes,
    render_comment,
    render_markdown,
)
from folio_web.code_styles import stylesheet_path


def test_a_fenced_block_in_a_known_language_is_highlighted_when_rendered():
    html = render_markdown("```python\nimport os  # the <os>\n```")

    assert html.startswith('<pre class="highlight"><code class="language-python">')
    assert '<span class="kn">import</span>' in html
    assert '<span class="c1"># the &lt;os&gt;</span>' in html


@pytest.mark.parametrize("fence", ["```", "```no-such-language"])
def test_blocks_without_a_known_language_stay_plain_and_escaped(fence):
    html = render_markdown(f"{fence}\n<b>x</b>\n```")

    assert "<span" not in html and 'class="highlight"' not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_raw_html_cannot_borrow_the_sites_classes_or_handlers():
    html = render_markdown(
        '<pre class="flash highlight"><span class="k button" onclick="x">k</span></pre>'
    )

    assert "flash" not in html and "button" not in html and "onclick" not in html
    assert '<span class="k">' in html


def test_tables_keep_their_alignment():
    html = render_markdown("| a | b |\n|:-:|--:|\n| 1 | 2 |")

    assert '<th class="align-center">a</th>' in html and '<td class="align-right">2</td>' in html
    assert "style" not in html


def test_comments_allow_emphasis_code_and_links_that_earn_no_ranking():
    html = render_comment("**bold** _it_ `x < y` [site](https://example.org)")

    assert html == (
        "<p><strong>bold</strong> <em>it</em> <code>x &lt; y</code> "
        '<a href="https://example.org" rel="nofollow ugc noopener noreferrer">site</a></p>\n'
    )


@pytest.mark.parametrize(
    ("source", "absent"),
    [
        ("![pic](https://example.org/p.png)", "<img"),
        ("# Shouting", "<h1"),
        ("<script>alert(1)</script>", "<script"),
        ("<b onclick=x>raw</b>", "<b"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ("- a list\n- of two", "<li"),
        ("| a |\n|---|\n| 1 |", "<table"),
    ],
)
def test_comments_drop_everything_outside_the_subset(source, absent):
    assert absent not in render_comment(source)


def test_comment_line_breaks_are_kept():
    assert render_comment("one\ntwo\n\nthree") == "<p>one<br>\ntwo</p>\n<p>three</p>\n"


def test_words_are_counted_in_what_a_reader_sees():
    html = render_markdown("# Title\n\n**Two** [words](https://example.org/a-long/url) — *l'été*")
    assert count_words(html) == 4  # Title, Two, words, l'été


@pytest.mark.parametrize(("words", "minutes"), [(0, 0), (1, 1), (230, 1), (231, 2), (2300, 10)])
def test_reading_time_rounds_up_to_whole_minutes(words, minutes):
    assert reading_minutes(words) == minutes


@pytest.mark.parametrize("scheme", sorted(CODE_STYLES))
def test_the_code_stylesheets_are_the_ones_pygments_writes(scheme):
    # Regenerate with `uv run python -m folio_web.code_styles` when this fails.
    assert stylesheet_path(scheme).read_text(encoding="utf-8") == code_stylesheet(scheme)


def test_a_link_whose_unsafe_address_was_dropped_keeps_no_rel():
    html = render_markdown(
        '<a href="javascript:alert(1)">one</a> <a title="t" href="data:x">two</a> [ok](/p)'
    )

    assert html == (
        '<p><a>one</a> <a title="t">two</a> '
        '<a href="/p" rel="nofollow noopener noreferrer">ok</a></p>\n'
    )
