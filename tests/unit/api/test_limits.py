"""Request limits per client address and per token, from API_RATE_LIMIT."""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import ON_BOTH_DATABASES, assert_problem

pytestmark = ON_BOTH_DATABASES


@pytest.fixture
def app_overrides():
    return {"API_RATE_LIMIT": "3 per minute"}


def test_an_address_over_the_limit_gets_429_with_retry_after(client):
    for _ in range(3):
        assert client.get("/api/v1/tags").status_code == 200
    response = client.get("/api/v1/tags")
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) > 0


def test_a_token_is_limited_wherever_it_comes_from(client, author):
    # Signing in used one request from this address; the token's own budget is fresh.
    for n in range(3):
        address = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        assert (
            client.get("/api/v1/me", headers=author.bearer, environ_base=address).status_code == 200
        )
    response = client.get(
        "/api/v1/me", headers=author.bearer, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert_problem(response, 429)
