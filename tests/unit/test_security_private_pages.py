"""Pages that show a signed-in user's own data are never stored by a browser or a proxy."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.auth.helpers import create_user


@pytest.mark.parametrize("path", ["/account/", "/account/exports/", "/account/profile", "/"])
def test_a_signed_in_users_pages_are_no_store(app: Flask, client: FlaskClient, auth, path):
    create_user(app, username="ada")
    auth.login("ada")

    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_for_anonymous_readers_stay_cacheable(client: FlaskClient):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
