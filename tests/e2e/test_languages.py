"""Through nginx, a browser asking for French reads Folio in French."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from .conftest import Site

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}


def test_the_home_page_and_the_login_form_in_french(site: Site) -> None:
    home = site.get("/", headers=FRENCH)
    assert home.status_code == 200
    assert '<html lang="fr">' in home.text and "Derniers articles" in home.text
    login = site.get("/auth/login", headers=FRENCH)
    assert "<h1>Se connecter</h1>" in login.text
    assert "Nom d’utilisateur ou adresse e-mail" in login.text


def _a_post_path(site: Site, request: pytest.FixtureRequest) -> str:
    """A published post: one the suite already wrote, else a new one. Sign-ins from the
    suite's one address share nginx's log-in limit, so none is spent when a post exists."""
    posts = site.get("/api/v1/posts").json()["data"]
    if posts:
        return f"/posts/{posts[0]['slug']}"
    author: Site = request.getfixturevalue("author")
    published = author.submit(
        "/write",
        {
            "title": f"Un article {uuid.uuid4().hex[:8]}",
            "body": "Du texte.",
            "tags": "",
            "status": "published",
        },
    )
    assert "/posts/" in published.url, published.url  # the form redirects to the new post
    return urlsplit(published.url).path


def test_a_post_page_in_french(site: Site, request: pytest.FixtureRequest) -> None:
    path = _a_post_path(site, request)
    with Site() as reader:
        page = reader.get(path, headers=FRENCH)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert " commentaire" in page.text and "</a> pour commenter." in page.text
