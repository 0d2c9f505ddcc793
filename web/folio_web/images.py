"""Images in the web app: the larger body limit on upload routes, files from forms, <img> tags.

Routes that take an upload accept IMAGE_MAX_BYTES for the file on top of MAX_CONTENT_LENGTH for
the rest of the form; nginx allows the same sum on the same paths
(nginx/entrypoint/35-folio-upload-limit.sh). Everywhere else MAX_CONTENT_LENGTH alone holds.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, send_from_directory
from flask import Request as FlaskRequest
from markupsafe import Markup
from werkzeug.datastructures import FileStorage

from folio_common import media
from folio_common.models import Image, User
from folio_common.services import images

# What file pickers offer; the server reads the bytes, whatever the picker let through.
IMAGE_TYPES = "image/jpeg,image/png,image/webp,image/gif"
# Endpoints whose forms carry a file: editor (and its script's upload), profile, API upload.
UPLOAD_ENDPOINTS = frozenset(
    {
        "blog.write",
        "blog.edit",
        "blog.upload_image",
        "account.profile",
        "api-images.upload_image",
    }
)


def upload_body_limit() -> int:
    return int(current_app.config["IMAGE_MAX_BYTES"]) + int(
        current_app.config["MAX_CONTENT_LENGTH"] or 0
    )


class UploadAwareRequest(FlaskRequest):
    """A request whose body limit is larger on upload routes (read before CSRF reads the form)."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self._max_content_length is None and self.endpoint in UPLOAD_ENDPOINTS:
            return upload_body_limit()
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def uploaded_file(file: FileStorage | None) -> FileStorage | None:
    """The form's file, or None when the field was left empty."""
    if file is None or not file.filename:
        return None
    return file


def store(owner: User, file: FileStorage, field: str | None = None) -> Image:
    """Store the upload; a refusal names `field`, the form input the file came from."""
    try:
        return images.store_upload(owner, file.stream)
    except images.ImageError as error:
        error.field = error.field or field
        raise


def image_tag(image: Image, alt: str = "", sizes: str = media.COLUMN_SIZES, **extra: str) -> Markup:
    """<img> for `image`, the same attributes Markdown images get."""
    attributes = {**images.img_attributes(image, sizes), "alt": alt, **extra}
    return Markup(media.img_tag(attributes))  # noqa: S704 - img_tag escapes every value


def init_app(app: Flask) -> None:
    app.request_class = UploadAwareRequest
    app.add_template_global(image_tag)
    if app.config["FOLIO_ENV"] != "production":
        # nginx serves /media/ in the stack; `make dev` and tests have only Flask.
        @app.get(media.MEDIA_URL_PREFIX + "<path:name>", endpoint="media")
        def serve_media(name: str):  # type: ignore[no-untyped-def]
            if media.own_image_key(media.url_for_name(name)) is None:
                abort(404)
            return send_from_directory(current_app.config["MEDIA_DIR"], name, max_age=3600)
