"""When Gunicorn is down nginx answers with Folio's own page, then recovers by itself."""

from __future__ import annotations

from .conftest import Site, compose, wait_until

# 502 when the connection is refused, 504 when the stopped container's address no longer answers.
UPSTREAM_DOWN = {502, 503, 504}


def test_a_branded_page_stands_in_while_web_is_down(site: Site) -> None:
    compose("stop", "web")
    try:
        page = site.get("/")
        api = site.get("/api/v1/posts")
    finally:
        compose("start", "web")
        wait_until(
            lambda: site.get("/readyz").status_code == 200,
            timeout=90,
            what="the site to answer again",
        )

    assert page.status_code in UPSTREAM_DOWN
    assert "Folio" in page.text and "right back" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert api.status_code == 503
    assert api.headers["Content-Type"] == "application/problem+json"
    assert api.json()["status"] == 503
