"""/api/v1/images: upload an image (multipart), then follow its processing."""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from folio_common.extensions import db
from folio_common.models import Image, Permission
from folio_common.services import images as image_service
from folio_web.api.auth import BEARER_AUTH, api_user
from folio_web.api.problems import fail
from folio_web.api.responses import get_or_404
from folio_web.api.schemas import ImageSchema, ImageUploadSchema

blp = Blueprint("api-images", __name__, url_prefix="/api/v1/images", description="Images")


def _representation(image: Image) -> dict[str, Any]:
    """The image with what clients need to show it; ImageSchema serialises it."""
    return {
        "id": image.id,
        "status": image.status,
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "size_bytes": image.size_bytes,
        "url": image_service.original_url(image),
        "markdown": image_service.markdown_for(image),
        "srcset": image_service.img_attributes(image).get("srcset"),
        "created_at": image.created_at,
    }


@blp.route("", methods=["POST"])
@jwt_required()
@blp.arguments(ImageUploadSchema, location="files")
@blp.response(201, ImageSchema)
@blp.alt_response(413, description="The body is larger than the upload limit")
@blp.alt_response(422, description="Not a JPEG, PNG, WebP or GIF image, or too large")
@blp.doc(security=BEARER_AUTH)
def upload_image(files: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Upload an image (multipart/form-data, field `file`) to show in posts, as a cover or avatar.

    The content is read, not the file name or Content-Type. Metadata (EXIF, GPS) is removed.
    The answer's `markdown` shows it in a post; resized copies follow (`status` becomes ready).
    """
    user = api_user()
    if not user.can(Permission.WRITE):
        abort(403, description="Your account may not upload images.")
    try:
        image = image_service.store_upload(user, files["file"].stream)
    except image_service.ImageError as exc:
        db.session.rollback()
        fail(422, str(exc), field="file")
    db.session.commit()
    return _representation(image), {"Location": url_for("api-images.get_image", image_id=image.id)}


@blp.route("/<int:image_id>", methods=["GET"])
@jwt_required()
@blp.response(200, ImageSchema)
@blp.doc(security=BEARER_AUTH)
def get_image(image_id: int) -> dict[str, Any]:
    """One of your images, with its processing status."""
    image = get_or_404(Image, image_id, "No such image.")
    if image.owner_id != api_user().id:
        abort(404, description="No such image.")
    return _representation(image)
