"""Admin pages: users (search, roles, deactivation) and the log of background job runs."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from folio_web.admin import views  # noqa: E402, F401 - attach the routes to `bp`
