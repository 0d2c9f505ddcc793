"""An image uploaded on the web is resized by the worker, on the migrated Postgres schema."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image as Pil

from folio_common import media
from folio_common.extensions import db
from folio_common.models import Image, ImageStatus, Post
from tests.factories import UserFactory
from tests.helpers import csrf_token, wait_until

pytestmark = pytest.mark.integration


def _photo(colour: tuple[int, int, int] = (120, 60, 30)) -> bytes:
    out = io.BytesIO()
    exif = Pil.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}
    Pil.new("RGB", (2000, 1000), colour).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_an_image_published_with_a_post_is_resized_by_the_worker_and_named_in_srcset(
    app, client, auth, media_dir: Path
):
    with app.app_context():
        UserFactory(username="painter")
        db.session.commit()
    assert auth.login("painter").status_code == 302

    response = client.post(
        "/write",
        data={
            "csrf_token": csrf_token(client, "/write"),
            "title": "Ochre",
            "body": "A study.",
            "status": "published",
            "image": (io.BytesIO(_photo()), "ochre.jpg"),
            "cover": (io.BytesIO(_photo((20, 20, 200))), "cover.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302

    def resized() -> list[Image] | None:
        with app.app_context():
            found = db.session.execute(db.select(Image).order_by(Image.id)).scalars().all()
            assert all(image.status != ImageStatus.FAILED for image in found)
            done = len(found) == 2 and all(image.status == ImageStatus.READY for image in found)
            return list(found) if done else None

    image, cover = wait_until(resized, timeout=60, what="the worker to resize both images")
    assert image.variant_widths == [480, 960, 1440, 2000]
    for width in image.variant_widths:
        assert (media_dir / media.variant_name(image.key, width)).is_file()

    def rendered() -> str | None:
        with app.app_context():
            post = db.session.execute(db.select(Post)).scalar_one()
            return post.body_html if "srcset=" in post.body_html else None

    html = wait_until(rendered, timeout=60, what="the post's HTML to name the WebP copies")
    assert re.search(rf"/media/{image.key[:2]}/{image.key}-960\.webp 960w", html)
    with app.app_context():
        post = db.session.execute(db.select(Post)).scalar_one()
        assert post.cover_image_id == cover.id
