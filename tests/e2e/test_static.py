"""Static files come from the nginx image, fingerprinted and cached for a year."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import Site

STATIC_ROOT = Path(__file__).resolve().parents[2] / "web" / "folio_web" / "static"


def stylesheet_url(site: Site) -> str:
    match = re.search(r'rel="stylesheet" href="(/static/[^"?]+\?v=[^"]+)"', site.get("/").text)
    assert match, "the index links no fingerprinted stylesheet"
    return match.group(1).replace("&amp;", "&")


def test_pages_name_assets_by_content_hash(site: Site) -> None:
    assert re.fullmatch(r"/static/css/site\.css\?v=[0-9a-zA-Z_-]{6,}", stylesheet_url(site))


def test_assets_are_served_by_nginx_with_a_year_long_cache(site: Site) -> None:
    response = site.get(stylesheet_url(site))

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    # One Cache-Control header (requests would join two with a comma).
    assert response.raw.headers.getlist("Cache-Control") == ["public, max-age=31536000, immutable"]
    # Flask would have opened a session and varied on the cookie; nginx does neither.
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.content == (STATIC_ROOT / "css" / "site.css").read_bytes()


def test_text_assets_are_gzipped(site: Site) -> None:
    response = site.get(stylesheet_url(site), headers={"Accept-Encoding": "gzip"})

    assert response.headers.get("Content-Encoding") == "gzip"


def test_a_missing_asset_is_a_404_from_nginx(site: Site) -> None:
    assert site.get("/static/css/nope.css").status_code == 404
