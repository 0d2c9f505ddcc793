"""The OpenAPI document says what the server enforces: a body the document allows is accepted,
one it forbids is refused, so a schema-driven fuzzer finds no mismatch."""

from __future__ import annotations

import re
import sys
from typing import Any

import jsonschema_rs
import pytest

from folio_common.services.posts import MAX_TAGS, TAG_PATTERN

POSTS = "/api/v1/posts"


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def _allowed(document: dict[str, Any], schema: str, body: dict[str, Any]) -> bool:
    return jsonschema_rs.validator_for(document["components"]["schemas"][schema]).is_valid(body)


def test_the_documented_white_space_is_pythons():
    from folio_web.api.schemas import WHITE_SPACE

    documented = re.compile(f"[{WHITE_SPACE}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(documented.fullmatch(char)) == char.isspace(), hex(code)


def test_tags_are_documented_as_the_server_checks_them(document):
    tags = document["components"]["schemas"]["PostCreate"]["properties"]["tags"]
    assert tags["items"]["pattern"] == TAG_PATTERN.pattern
    assert tags["maxItems"] == MAX_TAGS


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": "\x1c\x1f "},  # white space to Python: nothing left once trimmed
        {"title": "  Spaced  "},
        {"title": "Bell \x07 inside"},
        {"title": "Nul \x00 inside"},
        {"body": "\u2028\u3000"},
        {"tags": ["_"]},
        {"tags": ["ǃ"]},  # a letter to Python's \w, not to the document's regex dialect
        {"tags": ["café"]},
        {"tags": ["C#", "c++", "data science"]},
        {"tags": [f"t{n}" for n in range(MAX_TAGS + 1)]},
        {"slug": "hello-world"},
        {"slug": "a"},
    ],
)
def test_the_server_accepts_exactly_what_the_document_allows(client, author, document, changes):
    body = {"title": "A title", "body": "Some text.", **changes}

    response = client.post(POSTS, json=body, headers=author.bearer)

    allowed = _allowed(document, "PostCreate", body)
    assert (response.status_code == 201) == allowed, (allowed, response.get_json())


def test_following_yourself_is_a_documented_422(client, author, document):
    put = document["paths"]["/api/v1/users/{username}/follow"]["put"]
    assert "422" in put["responses"]

    response = client.put(f"/api/v1/users/{author.username}/follow", headers=author.bearer)

    assert response.status_code == 422
