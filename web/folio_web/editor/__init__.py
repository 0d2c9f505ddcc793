"""The editor's JSON endpoints: the live preview and draft autosave, for static/js/editor.js.

Both belong to the signed-in author's session (cookie and CSRF header, like a form), answer
JSON, and answer every error as problem+json (folio_web.errors). The page works without them:
the plain form posts to blog.write and blog.edit.
"""

from flask import Blueprint

bp = Blueprint("editor", __name__, url_prefix="/editor")

from folio_web.editor import views  # noqa: E402, F401 - attach the routes to `bp`
