"""/api/v1/images: multipart uploads with a bearer token; refusals are problems."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from folio_common.extensions import db
from tests.factories import UserFactory
from tests.helpers import api_sign_in
from tests.unit.api.conftest import assert_problem
from tests.unit.images.pictures import photo_with_gps


@pytest.fixture
def writer(app: Flask, client: FlaskClient) -> dict[str, str]:
    with app.app_context():
        UserFactory(username="grace")
        db.session.commit()
    token = api_sign_in(client, "grace").get_json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def upload(client: FlaskClient, writer: dict[str, str], content: bytes, name: str) -> TestResponse:
    return client.post(
        "/api/v1/images",
        data={"file": (io.BytesIO(content), name)},
        headers=writer,
        content_type="multipart/form-data",
    )


def test_the_api_takes_a_multipart_upload_and_answers_with_its_markdown(client, writer):
    response = upload(client, writer, photo_with_gps(), "photo.jpg")

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["markdown"] == f"![]({body['url']})"
    assert body["status"] == "ready"
    assert "480w" in body["srcset"]
    assert client.get(response.headers["Location"], headers=writer).get_json()["id"] == body["id"]


def test_the_api_refuses_a_renamed_text_file_as_a_problem(client, writer):
    response = upload(client, writer, b"just words", "photo.png")

    body = assert_problem(response, 422)
    assert body["detail"] == "This file is not a JPEG, PNG, WebP or GIF image."


def test_the_api_upload_needs_a_token_and_a_file(client, writer):
    assert_problem(client.post("/api/v1/images", data={}), 401)
    response = client.post(
        "/api/v1/images", data={}, headers=writer, content_type="multipart/form-data"
    )
    assert_problem(response, 422)


def test_an_uploaded_image_becomes_a_posts_cover_through_the_api(client, writer):
    image = upload(client, writer, photo_with_gps(), "cover.jpg").get_json()

    created = client.post(
        "/api/v1/posts",
        json={"title": "Covered", "body": "Text.", "cover_image_id": image["id"]},
        headers=writer,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["cover_image_id"] == image["id"]

    path = f"/api/v1/posts/{created.get_json()['id']}"
    removed = client.patch(path, json={"cover_image_id": None}, headers=writer)
    assert removed.get_json()["cover_image_id"] is None


def test_a_cover_that_is_not_your_image_is_a_problem(client, writer):
    response = client.post(
        "/api/v1/posts", json={"title": "T", "body": "B", "cover_image_id": 999}, headers=writer
    )

    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "cover_image_id"
