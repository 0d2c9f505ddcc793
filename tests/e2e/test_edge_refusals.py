"""What nginx refuses itself (unknown hosts, oversized bodies, wrong methods, bad requests) comes
back in the site's shapes, and no input reaches the reader as a 5xx."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests

from .conftest import BASE_URL, HTTP_URL, Site

PROBLEM = "application/problem+json"


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def assert_branded(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    assert "· Folio</title>" in response.text
    assert "nginx" not in response.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:443", "127.0.0.2"])
def test_a_request_for_an_unknown_host_is_refused(site: Site, host: str) -> None:
    # Over plain HTTP, where requests lets a test choose the Host header freely.
    assert_branded(requests.get(f"{HTTP_URL}/feed.atom", headers={"Host": host}, timeout=10), 421)
    api = requests.get(f"{HTTP_URL}/api/v1/posts", headers={"Host": host}, timeout=10)
    assert_problem(api, 421)
    static = requests.get(f"{HTTP_URL}/static/css/site.css", headers={"Host": host}, timeout=10)
    assert static.status_code == 421


def test_the_configured_host_is_served_on_every_port(site: Site) -> None:
    assert site.get("/").status_code == 200
    assert requests.get(f"{HTTP_URL}/readyz", timeout=10).status_code == 200


def test_an_oversized_api_body_is_a_problem(site: Site) -> None:
    too_big = b"x" * (2 * 1024 * 1024 + 1)
    response = site.post(
        "/api/v1/posts", data=too_big, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert_branded(site.post("/auth/register", data=too_big), 413)


def test_a_wrong_method_on_a_static_file_is_branded(site: Site) -> None:
    assert_branded(site.post("/static/css/site.css"), 405)
    assert_branded(site.get("/static/css/nope.css"), 404)


def test_a_malformed_request_is_a_problem_under_the_api() -> None:
    url = urlsplit(HTTP_URL)
    raw = (
        f"GET /api/v1/posts HTTP/1.1\r\nHost: {url.hostname}\r\nHost: twice\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: application/problem+json" in head
    assert b'"status": 400' in body


@pytest.mark.parametrize("path", ["/api/v1/posts", "/api/v1/tags", "/", "/search"])
def test_a_long_query_string_never_makes_a_5xx(site: Site, path: str) -> None:
    junk = "&".join(f"k{i}={'v' * 60}" for i in range(100))  # about 6.5 KB
    response = site.get(f"{path}?q=loom&per_page=1&{junk}")
    assert response.status_code < 500, response.text[:300]
    assert len(response.headers.get("Link", "")) < 1024


def test_links_in_api_headers_point_at_the_public_origin(site: Site) -> None:
    response = site.get("/api/v1/posts?per_page=1")
    assert f"<{BASE_URL}/api/v1/posts?" in response.headers["Link"]
