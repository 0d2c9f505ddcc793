"""/api/v1/exports: start an export of your posts, follow its progress, download the ZIP."""

from __future__ import annotations

from flask import Response, abort, send_file, url_for
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from folio_common.extensions import db
from folio_common.models import Export, ExportStatus
from folio_common.services import exports as export_service
from folio_web.api.auth import BEARER_AUTH, api_user
from folio_web.api.problems import fail
from folio_web.api.responses import get_or_404
from folio_web.api.schemas import ExportSchema

blp = Blueprint("api-exports", __name__, url_prefix="/api/v1/exports", description="Exports")


def _own_export(export_id: int) -> Export:
    export = get_or_404(Export, export_id, "No such export.")
    if export.user_id != api_user().id:
        abort(404, description="No such export.")
    return export


@blp.route("", methods=["POST"])
@jwt_required()
@blp.response(202, ExportSchema)
@blp.doc(security=BEARER_AUTH)
def start_export() -> tuple[Export, dict[str, str]]:
    """Start building a ZIP of your posts; poll the Location for progress."""
    try:
        export = export_service.start_export(api_user())
    except export_service.ExportError as exc:
        db.session.rollback()
        fail(409, str(exc))
    db.session.commit()
    return export, {"Location": url_for("api-exports.get_export", export_id=export.id)}


@blp.route("", methods=["GET"])
@jwt_required()
@blp.response(200, ExportSchema(many=True))
@blp.doc(security=BEARER_AUTH)
def list_exports() -> list[Export]:
    """Your recent exports, newest first."""
    return list(export_service.exports_for(api_user()))


@blp.route("/<int:export_id>", methods=["GET"])
@jwt_required()
@blp.response(200, ExportSchema)
@blp.doc(security=BEARER_AUTH)
def get_export(export_id: int) -> Export:
    """Status and progress (percent) of one export; `download_url` once it is ready."""
    return _own_export(export_id)


@blp.route("/<int:export_id>/download", methods=["GET"])
@jwt_required()
@blp.response(200, content_type="application/zip", description="The ZIP archive")
@blp.doc(security=BEARER_AUTH)
def download_export(export_id: int) -> Response:
    """The finished archive: 409 while it is being built, 410 once it has expired."""
    export = _own_export(export_id)
    expired = export.status == ExportStatus.DONE and not export_service.is_downloadable(export)
    if expired or export.status == ExportStatus.EXPIRED:
        fail(410, "This export has expired; start a new one.")
    path = export_service.export_path(export)
    if not export_service.is_downloadable(export) or path is None or not path.is_file():
        fail(409, "This export is not ready yet.")
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"folio-export-{export.id}.zip",
        max_age=0,
    )
