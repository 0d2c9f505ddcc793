"""A `next` parameter never sends anyone off the site, whatever shape the value takes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import csrf_token, log_in
from tests.unit.auth.helpers import create_user

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "https://evil.example/account/",
    "http:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "%2F%2Fevil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "\n//evil.example",
    "\r\n//evil.example",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "//folio.test@evil.example",
]


def assert_stays_on_site(location: str) -> None:
    parts = urlsplit(location.strip())
    assert parts.scheme in ("", "http", "https"), location
    assert parts.netloc in ("", "folio.test"), location
    assert parts.path.startswith("/"), location
    assert not location.strip().startswith("//"), location
    assert "\\" not in location, location
    assert "evil" not in location, location


@pytest.fixture
def ada(app: Flask) -> int:
    return create_user(app, username="ada")


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_in_the_address_stays_on_site(client: FlaskClient, ada: int, target: str):
    response = log_in(client, "ada", query_string={"next": target})

    assert response.status_code == 302
    assert_stays_on_site(response.headers["Location"])


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_in_the_form_stays_on_site(client: FlaskClient, ada: int, target: str):
    response = log_in(client, "ada", form={"next": target})

    assert response.status_code == 302
    assert_stays_on_site(response.headers["Location"])


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_for_a_signed_in_visitor_stays_on_site(
    client: FlaskClient, auth, ada: int, target: str
):
    auth.login("ada")

    response = client.get("/auth/login", query_string={"next": target})

    assert response.status_code == 302
    assert_stays_on_site(response.headers["Location"])


def test_double_encoded_slashes_stay_on_site(client: FlaskClient, ada: int):
    token = csrf_token(client, "/auth/login")

    response = client.post(
        "/auth/login?next=%252F%252Fevil.example",
        data={"identifier": "ada", "password": "correct horse battery", "csrf_token": token},
    )

    assert_stays_on_site(response.headers["Location"])


def test_an_on_site_next_is_followed(client: FlaskClient, ada: int):
    response = log_in(client, "ada", query_string={"next": "/account/profile?tab=bio"})

    assert response.headers["Location"] == "/account/profile?tab=bio"


def test_surrounding_whitespace_is_dropped_from_an_on_site_next(client: FlaskClient, ada: int):
    response = log_in(client, "ada", query_string={"next": "\r\n/account/ "})

    assert response.headers["Location"] == "/account/"
