"""Through nginx, a browser asking for French reads Folio in French."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from .conftest import Site

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}


def test_the_home_page_and_the_login_form_in_french(site: Site) -> None:
    home = site.get("/", headers=FRENCH)
    assert home.status_code == 200
    assert '<html lang="fr">' in home.text and "Derniers articles" in home.text
    login = site.get("/auth/login", headers=FRENCH)
    assert "<h1>Se connecter</h1>" in login.text
    assert "Nom d’utilisateur ou adresse e-mail" in login.text


def test_a_post_page_in_french(author: Site) -> None:
    title = f"Un article {uuid.uuid4().hex[:8]}"
    published = author.submit(
        "/write", {"title": title, "body": "Du texte.", "tags": "", "status": "published"}
    )
    assert published.status_code == 200
    # The form redirects to the new post's page.
    assert "/posts/" in published.url, published.url
    with Site() as reader:
        page = reader.get(urlsplit(published.url).path, headers=FRENCH)
    assert page.status_code == 200
    assert title in page.text and '<html lang="fr">' in page.text
    assert "0 commentaire" in page.text and "pour commenter." in page.text
