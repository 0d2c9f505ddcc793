"""Uploads are read for what they are, stripped of their metadata, limited, then resized."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image as Pil

from folio_common import media
from folio_common.extensions import db
from folio_common.models import Image, ImageStatus
from folio_common.services import images
from folio_common.services.images import ImageError
from tests.factories import UserFactory
from tests.unit.images.pictures import (
    NOT_AN_IMAGE,
    exif_of,
    gps_of,
    photo_with_gps,
    picture,
)


@pytest.mark.parametrize(
    ("image_format", "expected"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")],
)
def test_the_four_formats_are_recognised_by_their_bytes(image_format: str, expected: str) -> None:
    assert images.sniff(picture(image_format)) == expected


@pytest.mark.parametrize(
    "data",
    [
        NOT_AN_IMAGE,
        b"",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and nothing readable after it
        picture("BMP"),  # a real image, of a format Folio does not take
        picture("JPEG")[:200],  # a JPEG cut short
    ],
    ids=["pdf", "empty", "png-signature-only", "bmp", "truncated-jpeg"],
)
def test_anything_but_a_whole_jpeg_png_webp_or_gif_is_refused(data: bytes) -> None:
    with pytest.raises(ImageError, match="not a JPEG, PNG, WebP or GIF image"):
        images.sniff(data)


def test_a_picture_claiming_too_many_pixels_is_refused_before_decoding() -> None:
    # 8,000 x 8,000 white pixels compress to a few hundred kilobytes: a decompression bomb.
    bomb = picture("PNG", size=(8000, 8000))

    with pytest.raises(ImageError, match="megapixels"):
        images.sniff(bomb)


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all() -> None:
    stream = io.BytesIO(b"x" * 5000)

    with pytest.raises(ImageError, match="larger than"):
        images.read_limited(stream, 1000)
    assert stream.tell() == 1001


def test_gps_and_camera_tags_are_gone_from_the_stored_jpeg() -> None:
    original = photo_with_gps()
    assert gps_of(original), "the test photo should carry GPS tags"

    clean, width, height = images.strip_metadata(original, "jpeg")

    assert gps_of(clean) == {}
    assert exif_of(clean) == {}
    assert (width, height) == (1200, 800)


def test_a_sideways_photo_is_stored_upright() -> None:
    # Orientation 6: the camera was turned; viewers rotate the picture 90° clockwise.
    clean, width, height = images.strip_metadata(photo_with_gps(orientation=6), "jpeg")

    assert (width, height) == (800, 1200)
    with Pil.open(io.BytesIO(clean)) as stored:
        assert stored.size == (800, 1200)
        # The blue top-left corner is now at the top right.
        assert stored.getpixel((790, 10))[2] > 200
        assert stored.getpixel((10, 10))[2] < 100


def test_png_text_chunks_are_dropped() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "taken at 48.85N 2.29E")
    clean, _, _ = images.strip_metadata(picture("PNG", pnginfo=info), "png")

    with Pil.open(io.BytesIO(clean)) as stored:
        assert "Comment" not in stored.info


@pytest.fixture
def owner(app_ctx):
    user = UserFactory()
    db.session.commit()
    return user


def test_an_upload_is_stored_under_its_digest_and_resized_by_the_task(app: Flask, owner) -> None:
    image = images.store_upload(owner, io.BytesIO(photo_with_gps(width=1600, height=1000)))
    # Committing sends folio.process_image; tests run tasks in-process.
    db.session.commit()

    stored = db.session.get(Image, image.id)
    root = Path(app.config["MEDIA_DIR"])
    original = root / media.original_name(stored.key, "jpeg")
    assert original.is_file()
    assert gps_of(original.read_bytes()) == {}
    assert stored.status == ImageStatus.READY
    assert stored.variant_widths == [480, 960, 1440, 1600]
    for width in stored.variant_widths:
        with Pil.open(root / media.variant_name(stored.key, width)) as copy:
            assert copy.format == "WEBP"
            assert copy.width == width


def test_processing_twice_changes_nothing(app: Flask, owner) -> None:
    image = images.store_upload(owner, io.BytesIO(picture("PNG")))
    db.session.commit()

    assert images.process_image(image.id) is False
    assert db.session.get(Image, image.id).variant_widths == [480, 640]


def test_an_original_gone_from_the_volume_marks_the_image_failed(app: Flask, owner) -> None:
    image = Image(
        owner_id=owner.id, key="ab" + "0" * 30, format="png", width=10, height=10,
        size_bytes=1, status=ImageStatus.PENDING, variant_widths=[],
    )  # fmt: skip
    db.session.add(image)
    db.session.commit()

    assert images.process_image(image.id) is False
    failed = db.session.get(Image, image.id)
    assert failed.status == ImageStatus.FAILED
    assert "FileNotFoundError" in failed.error


def test_a_phone_jpeg_with_a_preview_inside_is_a_jpeg_stored_as_one_picture() -> None:
    out = io.BytesIO()
    photo = Pil.new("RGB", (800, 600), (1, 2, 3))
    photo.save(out, format="MPO", save_all=True, append_images=[photo.resize((160, 120))])
    with Pil.open(io.BytesIO(out.getvalue())) as opened:
        assert opened.format == "MPO"

    assert images.sniff(out.getvalue()) == "jpeg"
    clean, width, height = images.strip_metadata(out.getvalue(), "jpeg")
    with Pil.open(io.BytesIO(clean)) as stored:
        assert (stored.format, stored.size, (width, height)) == ("JPEG", (800, 600), (800, 600))


def test_an_animated_gif_keeps_its_frames_and_gets_no_still_copies(app: Flask, owner) -> None:
    frames = [Pil.new("RGB", (600, 400), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    with Pil.open(io.BytesIO(out.getvalue())) as made:
        assert made.n_frames == 3

    image = images.store_upload(owner, io.BytesIO(out.getvalue()))
    db.session.commit()

    stored = db.session.get(Image, image.id)
    assert (stored.status, stored.variant_widths) == (ImageStatus.READY, [])
    path = Path(app.config["MEDIA_DIR"]) / media.original_name(stored.key, "gif")
    with Pil.open(path) as kept:
        assert kept.n_frames == 3
