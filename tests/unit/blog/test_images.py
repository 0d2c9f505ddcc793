"""Authors upload images in the editor, and set covers and avatars."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from folio_common import media
from folio_common.extensions import db
from folio_common.models import Image, Post, User
from folio_common.services import images
from tests.factories import UserFactory
from tests.helpers import submit
from tests.unit.images.pictures import NOT_AN_IMAGE, gps_of, photo_with_gps, picture


def _submit(client: FlaskClient, path: str, fields: dict[str, object], form_path: str = ""):
    return submit(client, path, fields, form_path or None, content_type="multipart/form-data")


def _write(client: FlaskClient, image: bytes, file_name: str, **fields: str):
    """Submit the editor with a title, some text and `image` attached as `file_name`."""
    form = {"title": "Harbour", "body": "The boats came in.", **fields}
    return _submit(client, "/write", {**form, "image": (io.BytesIO(image), file_name)})


def _no_posts(app: Flask) -> bool:
    with app.app_context():
        return db.session.execute(select(Post)).first() is None


def _images(app: Flask) -> list[Image]:
    with app.app_context():
        found = list(db.session.execute(select(Image).order_by(Image.id)).scalars())
        db.session.expunge_all()
        return found


def test_the_upload_button_adds_the_images_markdown_to_the_text_being_written(
    app: Flask, client: FlaskClient, author
) -> None:
    response = _write(
        client,
        photo_with_gps(),
        "harbour.jpg",
        image_alt="Boats at dusk",
        upload="Upload and add to the text",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    [image] = _images(app)
    assert f"![Boats at dusk](/media/{image.key[:2]}/{image.key}.jpg)" in page
    assert "The boats came in." in page
    assert 'value="Harbour"' in page
    assert _no_posts(app), "the upload button saved the post"


def test_saving_with_an_image_attached_publishes_it_with_srcset(
    app: Flask, client: FlaskClient, author
) -> None:
    photo = photo_with_gps(width=1500, height=1000)
    response = _write(client, photo, "IMG_0001.JPG", status="published")

    assert response.status_code == 302
    post_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<img [^>]*srcset="/media/[0-9a-f/]+-480\.webp 480w', post_page)
    [image] = _images(app)
    stored = Path(app.config["MEDIA_DIR"]) / media.original_name(image.key, "jpeg")
    assert gps_of(stored.read_bytes()) == {}


def test_a_file_that_is_not_an_image_is_refused_and_the_text_is_kept(
    app: Flask, client: FlaskClient, author
) -> None:
    response = _write(
        client, NOT_AN_IMAGE, "holiday.jpg", body="Every word I typed.", status="published"
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This file is not a JPEG, PNG, WebP or GIF image." in page
    assert "Every word I typed." in page
    assert _images(app) == []
    assert _no_posts(app)


def test_an_image_over_the_limit_is_refused_with_the_limit_named(
    app: Flask, client: FlaskClient, author
) -> None:
    app.config["IMAGE_MAX_BYTES"] = 1000
    response = _write(client, photo_with_gps(), "big.jpg")

    assert "The image is larger than" in response.get_data(as_text=True)
    assert _images(app) == []


def test_a_cover_image_shows_on_the_post_and_in_lists(app: Flask, client: FlaskClient, author):
    response = _submit(
        client,
        "/write",
        {
            "title": "With a cover",
            "body": "Text.",
            "cover": (io.BytesIO(picture("PNG", size=(1200, 600))), "cover.png"),
            "status": "published",
        },
    )
    assert response.status_code == 302
    [cover] = _images(app)
    cover_src = f'src="/media/{cover.key[:2]}/{cover.key}.png"'

    assert cover_src in client.get(response.headers["Location"]).get_data(as_text=True)
    assert cover_src in client.get("/").get_data(as_text=True)


def test_an_avatar_shows_on_the_profile_and_on_posts(app: Flask, client: FlaskClient, author):
    response = _submit(
        client,
        "/account/profile",
        {"display_name": "Ada", "bio": "", "avatar": (io.BytesIO(picture("WEBP")), "me.webp")},
    )
    assert response.status_code == 302
    [avatar] = _images(app)
    with app.app_context():
        assert db.session.get(User, author.id).avatar_image_id == avatar.id

    assert avatar.key in client.get("/authors/ada").get_data(as_text=True)


def test_a_profile_picture_that_is_not_an_image_is_refused(app: Flask, client, author):
    response = _submit(
        client,
        "/account/profile",
        {"display_name": "Ada L.", "bio": "", "avatar": (io.BytesIO(b"GIF89a?"), "me.gif")},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not a JPEG, PNG, WebP or GIF image" in page
    assert 'value="Ada L."' in page


def test_someone_elses_image_cannot_become_your_cover(
    app: Flask, client: FlaskClient, author, committed
) -> None:
    with committed():
        other = UserFactory(username="mallory")
    with app.app_context():
        theirs = images.store_upload(db.session.get(User, other.id), io.BytesIO(picture("PNG")))
        db.session.commit()
        their_id = theirs.id

    response = _submit(
        client,
        "/write",
        {"title": "Mine", "body": "Text.", "status": "published", "cover_image_id": str(their_id)},
    )

    assert "No such image among your uploads." in response.get_data(as_text=True)
    assert _no_posts(app)


def test_the_editors_script_uploads_and_gets_the_markdown_back(app, client, author) -> None:
    fields = {"image": (io.BytesIO(picture("GIF")), "a.gif"), "alt": "Dots"}
    response = _submit(client, "/write/images", fields, form_path="/write")

    assert response.status_code == 201
    [image] = _images(app)
    assert response.get_json() == {"markdown": f"![Dots](/media/{image.key[:2]}/{image.key}.gif)"}


def test_the_editors_script_hears_why_a_file_was_refused(client, author) -> None:
    fields = {"image": (io.BytesIO(b"text"), "a.gif")}
    response = _submit(client, "/write/images", fields, form_path="/write")

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "This file is not a JPEG, PNG, WebP or GIF image."
