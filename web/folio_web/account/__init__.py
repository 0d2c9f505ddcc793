"""A signed-in user's own account: profile, confirmation, password and email address."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from folio_web.account import views  # noqa: E402, F401 - the routes register themselves on `bp`
