"""nginx's micro-cache: shared copies for cookieless readers only, never a personal answer."""

from __future__ import annotations

import time
import uuid

import requests

from .conftest import Site, wait_until

STATUS = "X-Cache-Status"


def _hit(site: Site, path: str, **kwargs) -> requests.Response | None:
    # Two requests well inside EDGE_CACHE_SECONDS: the second is answered from the copy, unless
    # it happened to land just as the copy expired, so try again.
    site.get(path, **kwargs)
    response = site.get(path, **kwargs)
    return response if response.headers.get(STATUS) == "HIT" else None


def test_anonymous_pages_and_api_reads_are_shared(site: Site) -> None:
    for path in ("/", "/tags", "/api/v1/posts"):
        shared = wait_until(lambda p=path: _hit(site, p), timeout=10, interval=0.1, what=path)
        assert shared.status_code == 200
        # Per-request and per-client headers are not replayed from the copy.
        assert shared.headers["X-Request-ID"]
        assert "X-Accel-Expires" not in shared.headers
        assert not [h for h in shared.headers if h.lower().startswith("x-ratelimit")]
        assert "Content-Security-Policy" in shared.headers
    assert not site.cookies, "an anonymous read started a session"


def test_two_shared_answers_get_their_own_request_ids(site: Site) -> None:
    first = wait_until(lambda: _hit(site, "/"), timeout=10, interval=0.1, what="a hit")
    second = site.get("/")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_request_with_a_cookie_goes_to_the_app(site: Site) -> None:
    site.get("/")
    response = site.get("/", headers={"Cookie": "theme=dark"})
    assert response.status_code == 200
    assert response.headers[STATUS] == "BYPASS"


def test_an_api_call_with_a_token_goes_to_the_app(site: Site) -> None:
    site.get("/api/v1/posts")
    response = site.get("/api/v1/posts", headers={"Authorization": "Bearer not-a-token"})
    assert response.headers[STATUS] == "BYPASS"
    assert response.status_code == 401


def test_forms_are_never_shared(site: Site) -> None:
    for _ in range(2):
        response = site.get("/auth/login")
    assert response.headers.get(STATUS) != "HIT"
    assert "csrf_token" in response.text


def test_the_first_reader_after_a_quiet_spell_gets_a_fresh_page(author: Site) -> None:
    # Its own URL, so no other test's reads keep this copy warm.
    path = f"/?quiet={uuid.uuid4().hex}"
    with Site() as reader:
        wait_until(lambda: _hit(reader, path), timeout=10, interval=0.1, what="a shared copy")
        # The quiet spell under test: the copy expires (EDGE_CACHE_SECONDS=1) but is still kept.
        time.sleep(2)
        title = f"Fresh after quiet {uuid.uuid4().hex[:8]}"
        published = author.submit(
            "/write", {"title": title, "body": "Body.", "tags": "", "status": "published"}
        )
        assert published.status_code == 200
        response = reader.get(path)
    assert response.headers[STATUS] != "STALE"
    assert title in response.text


def test_each_language_gets_its_own_shared_copy(site: Site) -> None:
    # One URL, cookieless, two languages: each must come back in its own, hit or not.
    path = f"/?lang={uuid.uuid4().hex}"
    french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    for _ in range(3):
        assert '<html lang="fr">' in site.get(path, headers=french).text
        assert '<html lang="en">' in site.get(path, headers=english).text
    shared = wait_until(
        lambda: _hit(site, path, headers=french), timeout=10, interval=0.1, what="a French copy"
    )
    assert '<html lang="fr">' in shared.text and "Derniers articles" in shared.text
    assert "Accept-Language" in shared.headers["Vary"]
    shared = wait_until(
        lambda: _hit(site, path, headers=english), timeout=10, interval=0.1, what="an English copy"
    )
    assert '<html lang="en">' in shared.text and "Latest posts" in shared.text
    assert not site.cookies
