"""nginx turns away a flood of account POSTs before they reach the app.

Runs last (see conftest): it spends the client's whole burst, and every test shares one address.
"""

from __future__ import annotations

from .conftest import Site

NGINX_429 = "Too many attempts from your address"


def test_a_flood_of_password_reset_posts_is_limited_by_nginx(site: Site) -> None:
    statuses = []
    for _ in range(40):
        response = site.post("/auth/reset", data={"email": "nobody@example.com"})
        statuses.append(response.status_code)
        if response.status_code == 429 and NGINX_429 in response.text:
            break

    assert statuses[-1] == 429, statuses
    assert len(statuses) > 1, "the very first POST was limited"
    # nginx's own refusal in the site's clothes: the branded page, and problem+json for the API.
    assert "<title>Too Many Requests · Folio</title>" in response.text
    assert response.headers["Retry-After"] == "60"
    api = site.post("/api/v1/auth/tokens", json={"username": "nobody", "password": "x"})
    assert api.status_code == 429
    assert api.headers["Content-Type"] == "application/problem+json"
    assert api.json()["status"] == 429


def test_reading_the_same_pages_is_not_limited(site: Site) -> None:
    assert all(site.get("/auth/reset").status_code == 200 for _ in range(5))
