"""An image uploaded on the web is resized by the worker, on the migrated Postgres schema."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from pathlib import Path

import pytest
from PIL import Image as Pil

from folio_common import media
from folio_common.extensions import db
from folio_common.models import Image, ImageStatus, Post, PostStatus
from folio_common.services import images, posts
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


def _pending_image(owner_id: int) -> Image:
    """An uploaded image the worker has not processed yet (no task queued: the test runs it)."""
    out = io.BytesIO()
    Pil.new("RGB", (1200, 600), (200, 120, 40)).save(out, format="JPEG")
    image_format = images.sniff(out.getvalue())
    clean, width, height = images.strip_metadata(out.getvalue(), image_format)
    key = hashlib.sha256(clean).hexdigest()[:32]
    path = media.media_root() / media.original_name(key, image_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(clean)
    image = Image(
        owner_id=owner_id, key=key, format=image_format, width=width, height=height,
        size_bytes=len(clean), status=ImageStatus.PENDING, variant_widths=[],
    )  # fmt: skip
    db.session.add(image)
    return image


def test_a_post_saved_while_the_worker_finishes_its_image_still_gets_the_srcset(app):
    """The save renders the pending image without srcset and commits while the worker marks it
    ready: the worker's re-render must find the post, whichever commits first."""
    with app.app_context():
        author = UserFactory(username="racer")
        post = posts.create_post(author, "Race", "No picture yet.", status=PostStatus.PUBLISHED)
        image = _pending_image(author.id)
        db.session.commit()
        post_id, image_id, url = post.id, image.id, images.original_url(image)

    rendered, release = threading.Event(), threading.Event()

    def save() -> None:
        with app.app_context():
            posts.update_post(db.session.get(Post, post_id), body=f"![A tile]({url})")
            rendered.set()
            release.wait(10)  # a slow request: the worker runs meanwhile
            db.session.commit()

    def process() -> None:
        with app.app_context():
            images.process_image(image_id)

    saver = threading.Thread(target=save)
    saver.start()
    assert rendered.wait(10)
    worker = threading.Thread(target=process)
    worker.start()
    worker.join(3)  # done by now unless it waits for the save
    release.set()
    saver.join(10)
    worker.join(20)

    with app.app_context():
        assert db.session.get(Image, image_id).status == ImageStatus.READY
        assert "srcset=" in db.session.get(Post, post_id).body_html
