"""Development comfort: Flask-DebugToolbar on `make dev`, and nowhere else.

The toolbar is a dev-group dependency, absent from the images (their `uv sync --no-dev`); it is
turned on only for FOLIO_ENV=development with debug on, so a production or test app never
carries it even where the package happens to be installed.
"""

from __future__ import annotations

import importlib.util

from flask import Flask


def init_app(app: Flask) -> None:
    if app.config["FOLIO_ENV"] != "development" or not app.debug:
        return
    if importlib.util.find_spec("flask_debugtoolbar") is None:
        return
    from flask_debugtoolbar import DebugToolbarExtension

    # Redirects go straight on: every form posts and redirects, and a stop page after each
    # would change what a developer sees from what users get.
    app.config.setdefault("DEBUG_TB_INTERCEPT_REDIRECTS", False)
    DebugToolbarExtension(app)
