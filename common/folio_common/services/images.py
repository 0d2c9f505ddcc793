"""Image uploads: checked, stripped of metadata, stored, then resized by the worker.

`store_upload` runs in the request: it reads at most IMAGE_MAX_BYTES, lets Pillow say what the
bytes are (never the file name or Content-Type), refuses anything but JPEG, PNG, WebP and GIF,
re-encodes the picture without its metadata (EXIF, GPS, XMP, comments; the orientation is
applied to the pixels first), writes it to the media volume under a digest of its bytes, records
an `Image` and queues `folio.process_image` through the outbox. The worker's `process_image`
makes the WebP copies pages offer in `srcset`; until then pages show the stored original.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import warnings
from pathlib import Path
from typing import IO

from flask import current_app
from PIL import Image as Pil
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import select

from folio_common import media
from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.models import Image, ImageStatus, Post, User, utcnow
from folio_common.queue import enqueue
from folio_common.services import content_cache
from folio_common.services.errors import ServiceError

log = logging.getLogger("folio.images")

# Pillow's names for the formats Folio takes.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# Refused before decoding: 40 megapixels is a 7,300 x 5,500 photo (about 160 MB as RGBA), and
# a small file can claim far more (a decompression bomb).
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 90
WEBP_QUALITY = 80
ERROR_LENGTH = 500
NOT_AN_IMAGE = "This file is not a JPEG, PNG, WebP or GIF image."
# What Pillow raises on bytes it cannot read as a picture (UnidentifiedImageError is an
# OSError; truncated data raises OSError or SyntaxError, odd headers ValueError or struct.error).
DECODE_ERRORS = (
    UnidentifiedImageError,
    Pil.DecompressionBombError,
    Pil.DecompressionBombWarning,
    SyntaxError,
    ValueError,
    OSError,
    EOFError,
)


class ImageError(ServiceError):
    """An upload refused, with a message for the person who sent it."""


def max_bytes() -> int:
    return int(current_app.config["IMAGE_MAX_BYTES"])


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """The upload's bytes, refusing (without reading on) anything over `limit`."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageError(
            N_("The image is larger than %(size)s; choose a smaller one."), size=_megabytes(limit)
        )
    if not data:
        raise ImageError(N_("The file is empty."))
    return data


def _open(data: bytes) -> Pil.Image:
    return Pil.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)


def sniff(data: bytes) -> str:
    """The format of `data` ("jpeg", "png", "webp" or "gif") as Pillow reads it, or ImageError."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Pil.DecompressionBombWarning)
        try:
            with _open(data) as picture:
                # Phones write JPEGs with a second, smaller picture inside (MPO): still a JPEG.
                image_format = "jpeg" if picture.format == "MPO" else str(picture.format).lower()
                width, height = picture.size
                if width * height > MAX_PIXELS:
                    raise ImageError(
                        N_(
                            "The image is %(width)s x %(height)s pixels; at most "
                            "%(megapixels)s megapixels are accepted."
                        ),
                        width=width,
                        height=height,
                        megapixels=MAX_PIXELS // 1_000_000,
                    )
                picture.verify()
        except ImageError:
            raise
        except DECODE_ERRORS as exc:
            raise ImageError(NOT_AN_IMAGE) from exc
    if image_format not in media.EXTENSIONS:  # pragma: no cover - formats= limits what opens
        raise ImageError(NOT_AN_IMAGE)
    return image_format


def strip_metadata(data: bytes, image_format: str) -> tuple[bytes, int, int]:
    """`data` re-encoded without metadata, upright; with its width and height.

    Re-encoding (rather than editing the EXIF block) is what guarantees nothing is carried over:
    Pillow writes only what is passed to `save`, and the colour profile is the one thing kept.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Pil.DecompressionBombWarning)
        try:
            with _open(data) as source:
                animated = _is_animation(source)
                kept = {
                    key: source.info[key]
                    for key in ("icc_profile", "transparency")
                    if key in source.info
                }
                out = io.BytesIO()
                if animated:
                    # Every frame, with its timing; orientation tags do not occur in GIF/WebP
                    # animations.
                    options = {
                        key: source.info[key] for key in ("duration", "loop") if key in source.info
                    }
                    source.save(out, format=image_format, save_all=True, **options)
                    size = source.size
                else:
                    picture = ImageOps.exif_transpose(source)
                    picture.info = {}
                    size = picture.size
                    options = {**kept, **_encoder_options(image_format)}
                    picture.save(out, format=image_format, **options)
        except DECODE_ERRORS as exc:
            raise ImageError(NOT_AN_IMAGE) from exc
    return out.getvalue(), size[0], size[1]


def _is_animation(picture: Pil.Image) -> bool:
    # An MPO's extra frames are previews of the same photo, not an animation.
    return picture.format in ("GIF", "WEBP") and bool(getattr(picture, "is_animated", False))


def _encoder_options(image_format: str) -> dict[str, object]:
    if image_format == "jpeg":
        return {"quality": JPEG_QUALITY, "optimize": True}
    if image_format == "webp":
        return {"quality": WEBP_QUALITY}
    if image_format == "png":
        return {"optimize": True}
    return {}


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers (nginx) see the whole file or none: written beside it, then renamed in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


def store_upload(owner: User, stream: IO[bytes]) -> Image:
    """Check, strip and store an upload; the `Image` row is flushed and its processing queued.

    The caller commits (which sends the task). The file is written first: a rolled-back request
    leaves an unreferenced file named by its own digest, never a row without a file.
    """
    data = read_limited(stream, max_bytes())
    image_format = sniff(data)
    clean, width, height = strip_metadata(data, image_format)
    key = hashlib.sha256(clean).hexdigest()[:32]
    name = media.original_name(key, image_format)
    path = media.media_root() / name
    if not path.exists():
        _write_atomically(path, clean)
    image = Image(
        owner_id=owner.id,
        key=key,
        format=image_format,
        width=width,
        height=height,
        size_bytes=len(clean),
        status=ImageStatus.PENDING,
        variant_widths=[],
    )
    db.session.add(image)
    db.session.flush()
    enqueue("folio.process_image", image.id)
    return image


# --- what pages show --------------------------------------------------------------------------


def original_url(image: Image) -> str:
    return media.url_for_name(media.original_name(image.key, image.format))


def markdown_for(image: Image, alt: str = "") -> str:
    """The Markdown that shows `image` in a post."""
    text = " ".join(alt.replace("[", "(").replace("]", ")").split())
    return f"![{text}]({original_url(image)})"


def img_attributes(image: Image, sizes: str = media.COLUMN_SIZES) -> dict[str, str]:
    """The <img> attributes for `image`: the original until its WebP copies are ready."""
    attributes = {
        "src": original_url(image),
        "width": str(image.width),
        "height": str(image.height),
        "loading": "lazy",
        "decoding": "async",
    }
    if image.is_ready and image.variant_widths:
        attributes["srcset"] = media.srcset(image.key, list(image.variant_widths))
        attributes["sizes"] = sizes
    return attributes


def find_by_key(key: str) -> Image | None:
    """The image stored under `key` (the same bytes may have been uploaded more than once).

    The row is share-locked until the caller's transaction ends: a post rendered while its image
    is pending then commits before the worker can mark the image ready, and the worker's
    re-render (which looks for posts after that update) finds it. Without the lock a post saved
    in that moment kept the HTML without srcset for good."""
    with db.session.no_autoflush:
        return db.session.execute(
            select(Image)
            .where(Image.key == key)
            .order_by(Image.processed_at.desc().nulls_last(), Image.id)
            .limit(1)
            .with_for_update(read=True)
        ).scalar_one_or_none()


def owned_image(image_id: int | None, owner: User) -> Image | None:
    """`image_id` if it belongs to `owner`, for covers and avatars; ImageError otherwise."""
    if image_id is None:
        return None
    image = db.session.get(Image, image_id)
    if image is None or image.owner_id != owner.id:
        raise ImageError(N_("No such image among your uploads."), field="cover")
    return image


def set_post_cover(post: Post, image: Image | None) -> None:
    post.cover_image = image
    db.session.flush()
    content_cache.invalidate()


def set_avatar(user: User, image: Image | None) -> None:
    user.avatar_image = image
    db.session.flush()
    content_cache.invalidate()


# --- the worker's part --------------------------------------------------------------------------


def process_image(image_id: int) -> bool:
    """Make the WebP copies of `image_id`; True if this call finished it.

    Safe to repeat (the outbox or a redelivery may run it twice): files are named by content and
    swapped in whole, and a ready image is left alone. A picture Pillow cannot read is marked
    failed (pages keep the original); a disk or database error propagates for the task's retry.
    """
    image = db.session.get(Image, image_id)
    if image is None or image.status == ImageStatus.READY:
        return False
    root = media.media_root()
    widths: list[int] = []
    try:
        widths = _write_variants(image, root)
    except (FileNotFoundError, ImageError) as exc:
        image.status = ImageStatus.FAILED
        image.error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        image.processed_at = utcnow()
        db.session.commit()
        log.warning("image processing failed", extra={"image_id": image_id, "error": str(exc)})
        return False
    image.variant_widths = widths
    image.status = ImageStatus.READY
    image.processed_at = utcnow()
    # The update first: it waits for any post being saved with this image (find_by_key's lock),
    # so the posts read next include it.
    db.session.flush()
    _rerender_posts_showing(image)
    # Pages showing the image (posts, covers, avatars) get its srcset: the version moves on commit.
    content_cache.invalidate()
    db.session.commit()
    log.info("image processed", extra={"image_id": image_id, "widths": widths})
    return True


def _write_variants(image: Image, root: Path) -> list[int]:
    """WebP copies at the planned widths; none for an animation, shown as the original."""
    source_path = root / media.original_name(image.key, image.format)
    widths = media.planned_widths(image.width)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Pil.DecompressionBombWarning)
        try:
            with Pil.open(source_path, formats=ACCEPTED_FORMATS) as source:
                if _is_animation(source):
                    return []  # the original keeps the animation; still copies would lose it
                source.load()
                picture = source.convert("RGBA" if _has_alpha(source) else "RGB")
        except FileNotFoundError:
            raise
        except DECODE_ERRORS as exc:
            raise ImageError(f"The stored original cannot be read: {exc}") from exc
    for width in widths:
        target = root / media.variant_name(image.key, width)
        if target.exists():
            continue
        height = max(1, round(image.height * width / image.width))
        copy = picture if width == picture.width else picture.resize((width, height), Pil.LANCZOS)
        out = io.BytesIO()
        copy.save(out, format="webp", quality=WEBP_QUALITY, method=4)
        _write_atomically(target, out.getvalue())
    return widths


def _has_alpha(picture: Pil.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info


def _rerender_posts_showing(image: Image) -> None:
    """Give the owner's posts that show `image` its srcset, now that the copies exist.

    Posts keep their HTML rendered at save time; one saved while the image was pending shows
    the original until this runs. Only the owner's posts are looked at (an author's posts are
    a few thousand at most, read through their author index).
    """
    # Imported here: the Markdown renderer itself asks this module about images.
    from folio_common.markdown import render_markdown

    url = original_url(image)
    posts = db.session.execute(
        select(Post).where(Post.author_id == image.owner_id, Post.body_markdown.contains(url))
    ).scalars()
    for post in posts:
        post.body_html = render_markdown(post.body_markdown)
