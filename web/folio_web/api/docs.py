"""/api/v1/docs: Swagger UI for the generated OpenAPI document, served from local files."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from flask import Blueprint, render_template, send_from_directory
from flask.typing import ResponseReturnValue

from folio_web.extensions import limiter

# The swagger-ui-py package ships Swagger UI's built files; no CDN is involved.
SWAGGER_UI_DIR = Path(swagger_ui.__file__).parent / "static"

bp = Blueprint(
    "api-docs-ui",
    __name__,
    url_prefix="/api/v1/docs",
    template_folder="templates",
    static_folder="static",
    static_url_path="/local",
)
limiter.exempt(bp)


@bp.get("")
def docs_page() -> ResponseReturnValue:
    return render_template("api/docs.html")


@bp.get("/assets/<path:filename>")
def swagger_asset(filename: str) -> ResponseReturnValue:
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=86400)
