"""When Gunicorn is down nginx answers with Folio's own page, then recovers by itself."""

from __future__ import annotations

from .conftest import Site, compose, wait_until

# 502 when the connection is refused, 504 when the stopped container's address no longer answers.
UPSTREAM_DOWN = {502, 503, 504}
# What a signed-in browser sends: it never gets a copy from nginx's micro-cache.
SIGNED_IN = {"Cookie": "session=whoever"}


def test_a_branded_page_stands_in_while_web_is_down(site: Site) -> None:
    assert site.get("/").status_code == 200  # a copy for anonymous readers
    compose("stop", "web")
    try:
        page = site.get("/", headers=SIGNED_IN)
        api = site.get("/api/v1/posts", headers={"Authorization": "Bearer whoever"})
        anonymous = site.get("/")
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
    # Anonymous readers keep the page they were reading, from nginx's last copy.
    assert anonymous.status_code == 200
    assert anonymous.headers["X-Cache-Status"] in {"STALE", "UPDATING"}
