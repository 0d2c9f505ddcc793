"""The API's contract as a whole: its OpenAPI document, docs page, error shape, CORS, limits."""

from __future__ import annotations

import pytest

from tests.helpers import api_sign_in
from tests.unit.api.conftest import ON_BOTH_DATABASES, assert_problem

pytestmark = ON_BOTH_DATABASES


def test_the_openapi_document_is_generated_and_complete(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    paths = spec["paths"]
    for path in (
        "/api/v1/auth/tokens",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/posts",
        "/api/v1/posts/{post_id}",
        "/api/v1/posts/by-slug/{slug}",
        "/api/v1/posts/{post_id}/publish",
        "/api/v1/posts/{post_id}/comments",
        "/api/v1/posts/{post_id}/comments/{comment_id}",
        "/api/v1/tags",
        "/api/v1/users/{username}",
        "/api/v1/users/{username}/follow",
        "/api/v1/me",
        "/api/v1/exports",
        "/api/v1/exports/{export_id}",
        "/api/v1/exports/{export_id}/download",
    ):
        assert path in paths
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_uses_only_local_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # no inline script: the site's CSP forbids it
    for url in (
        "/api/v1/docs/assets/swagger-ui-bundle.js",
        "/api/v1/docs/assets/swagger-ui.css",
        "/api/v1/docs/local/docs.js",
    ):
        with client.get(url) as asset:
            assert asset.status_code == 200, url


def test_unknown_api_urls_are_problem_json(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)


def test_wrong_methods_are_problem_json_with_allow(client):
    response = client.put("/api/v1/tags")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.fixture
def app_overrides():
    return {"MAX_CONTENT_LENGTH": 1024, "CORS_ORIGINS": ("https://app.example",)}


def test_oversized_bodies_are_413(client, author):
    response = client.post(
        "/api/v1/posts", json={"title": "Big", "body": "x" * 4096}, headers=author.bearer
    )
    assert_problem(response, 413)


def test_cors_allows_listed_origins_only(client):
    allowed = client.get("/api/v1/tags", headers={"Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    other = client.get("/api/v1/tags", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/healthz", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_api_responses_set_no_cookies(client, author):
    assert "Set-Cookie" not in client.get("/api/v1/me", headers=author.bearer).headers
    assert "Set-Cookie" not in api_sign_in(client, author.username).headers


def test_cors_preflight_names_what_a_listed_origin_may_send(client):
    response = client.options(
        "/api/v1/posts",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_an_unexpected_failure_is_still_problem_json_without_a_traceback(app, client):
    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/broken-on-purpose", view_func=broken)
    body = assert_problem(client.get("/api/v1/broken-on-purpose"), 500)
    assert "secret internals" not in str(body)


def test_an_optional_body_must_still_be_json_when_sent(client, author):
    created = client.post(
        "/api/v1/posts", json={"title": "Tiny", "body": "x"}, headers=author.bearer
    ).headers["Location"]
    response = client.post(f"{created}/publish", data="now please", headers=author.bearer)
    assert_problem(response, 415)
