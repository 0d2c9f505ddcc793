"""Signing up, confirming the address, logging in and out, and resetting a forgotten password."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from folio_web.auth import views  # noqa: E402, F401 - the routes register themselves on `bp`
