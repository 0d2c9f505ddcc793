"""What any visitor gets from nginx: pages, headers, health and the request limits."""

from __future__ import annotations

import re

import requests

from .conftest import HTTP_URL, Site, compose


def test_the_index_renders_through_nginx(site: Site) -> None:
    response = site.get("/")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Folio" in response.text


def test_pages_carry_the_security_headers(site: Site) -> None:
    headers = site.get("/").headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
    assert "frame-ancestors" in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_images_carry_no_debug_toolbar(site: Site) -> None:
    # A dev-group dependency: the images install none, and pages show no trace of it.
    probe = "import importlib.util as u; print(u.find_spec('flask_debugtoolbar') is None)"
    for service in ("web", "worker"):
        assert compose("exec", "-T", service, "python", "-c", probe).stdout.strip() == "True"
    assert "flDebug" not in site.get("/auth/login").text


def test_plain_http_gets_no_hsts() -> None:
    with Site(HTTP_URL) as plain:
        response = plain.get("/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_a_request_id_is_made_when_missing_and_kept_when_given(site: Site) -> None:
    made = site.get("/healthz").headers["X-Request-ID"]
    kept = site.get("/healthz", headers={"X-Request-ID": "e2e-trace-42"}).headers["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert kept == "e2e-trace-42"


def test_the_login_page_renders(site: Site) -> None:
    response = site.get("/auth/login")

    assert response.status_code == 200
    assert 'name="identifier"' in response.text


def test_readiness_is_green(site: Site) -> None:
    response = site.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_body_over_the_limit_is_refused_before_the_app(site: Site) -> None:
    too_big = b"x" * (2 * 1024 * 1024 + 1)

    response = site.post("/auth/login", data=too_big, headers={"Content-Type": "text/plain"})

    assert response.status_code == 413
    assert "upstream_addr" not in response.text


def test_unknown_pages_are_the_apps_404(site: Site) -> None:
    response = site.get("/no-such-page-here")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_readyz_answers_over_plain_http_too() -> None:
    response = requests.get(f"{HTTP_URL}/readyz", timeout=10)

    assert response.status_code == 200
