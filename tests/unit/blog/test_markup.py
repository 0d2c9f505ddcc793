"""Markup details the Nu HTML checker insists on (the e2e tier runs the checker itself)."""

from __future__ import annotations

import re

from tests.factories import PostFactory


def test_time_elements_carry_whole_seconds(client, committed):
    with committed():
        PostFactory(title="Timed")

    values = re.findall(r'<time datetime="([^"]+)"', client.get("/").get_data(as_text=True))

    assert values
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", value) for value in values)


def test_forms_name_where_they_post(client):
    for path in ("/auth/login", "/auth/reset/some-token"):
        page = client.get(path).get_data(as_text=True)
        assert f'<form action="{path}" method="post"' in page, path
        assert 'action=""' not in page


def test_search_landmarks_have_labels_of_their_own(client):
    page = client.get("/search").get_data(as_text=True)

    labels = re.findall(r'role="search" aria-label="([^"]+)"', page)

    assert len(labels) == 2 and len(set(labels)) == 2


def test_pages_describe_themselves_and_name_an_icon(client, committed):
    with committed():
        post = PostFactory(title="Described", body_markdown="A short teaser & more.")

    index = client.get("/").get_data(as_text=True)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)

    assert '<meta name="description" content="Folio:' in index
    assert '<meta name="description" content="A short teaser &amp; more.">' in page
    assert re.search(r'<link rel="icon" type="image/svg\+xml" href="/static/favicon.svg\?v=', index)
