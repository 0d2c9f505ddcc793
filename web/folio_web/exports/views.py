"""Export views: the list with live progress, starting one, its JSON status and the download."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.models import Export, ExportStatus
from folio_common.services import exports as export_service
from folio_web.exports import bp
from folio_web.forms import refusal

# What a user sees when a build fails; the technical reason stays in the database and the logs.
FAILED_MESSAGE = N_("Something went wrong while building this export. Please start a new one.")


def _own_export(export_id: int) -> Export:
    """The signed-in user's export; anyone else's is a 404, so ids reveal nothing."""
    export = db.session.get(Export, export_id)
    if export is None or export.user_id != current_user.id:
        abort(404)
    return export


def _download_url(export: Export) -> str | None:
    if not export_service.is_downloadable(export):
        return None
    return url_for("exports.download", export_id=export.id)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template(
        "exports/index.html",
        exports=export_service.exports_for(current_user),
        download_url=_download_url,
        failed_message=_(FAILED_MESSAGE),
    )


@bp.post("/")
@login_required
def start() -> ResponseReturnValue:
    try:
        export_service.start_export(current_user)
    except export_service.ExportError as exc:
        db.session.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("exports.index"))
    db.session.commit()
    flash(_("Your export has started. This page shows its progress."), "success")
    return redirect(url_for("exports.index"))


@bp.get("/<int:export_id>.json")
@login_required
def status(export_id: int) -> ResponseReturnValue:
    export = _own_export(export_id)
    return jsonify(
        id=export.id,
        status=str(export.status),
        progress=export.progress,
        error=FAILED_MESSAGE if export.status == ExportStatus.FAILED else None,
        download_url=_download_url(export),
    )


@bp.get("/<int:export_id>/download")
@login_required
def download(export_id: int) -> ResponseReturnValue:
    export = _own_export(export_id)
    if export.status == ExportStatus.EXPIRED:
        abort(410, description=_("This export has expired. Start a new one."))
    if export.status != ExportStatus.DONE:
        abort(404)
    path = export_service.export_path(export)
    if not export_service.is_downloadable(export) or path is None or not path.is_file():
        abort(410, description=_("This export has expired. Start a new one."))
    stamp = (export.finished_at or export.created_at).strftime("%Y-%m-%d")
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"folio-{current_user.username}-{stamp}.zip",
        max_age=0,
    )
