"""'Export my posts': start an export, watch its progress, download the archive."""

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/account/exports")

from folio_web.exports import views  # noqa: E402, F401 - the routes register themselves on `bp`
