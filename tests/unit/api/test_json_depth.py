"""Deeply nested JSON is refused with 400 problem+json on every endpoint, never a 500."""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import assert_problem


@pytest.mark.parametrize("depth", [33, 5_000, 200_000])
@pytest.mark.parametrize("path", ["/api/v1/auth/tokens", "/api/v1/posts"])
def test_deeply_nested_json_is_a_400_problem(client, path, depth):
    body = "[" * depth + "]" * depth
    response = client.post(path, data=body, content_type="application/json")
    problem = assert_problem(response, 400)
    assert "nests deeper than" in problem["detail"]


def test_nesting_within_the_bound_reaches_the_endpoint(client):
    body = '{"username": "nobody", "password": ' + "[" * 20 + "]" * 20 + "}"
    response = client.post("/api/v1/auth/tokens", data=body, content_type="application/json")
    # The endpoint's own validation answers: the password is not a string.
    assert_problem(response, 422)
