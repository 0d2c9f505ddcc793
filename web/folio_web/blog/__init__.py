"""Reading and writing: the index, posts, tags, authors, search, comments, follows and the feed."""

from flask import Blueprint

bp = Blueprint("blog", __name__)

from folio_web.blog import feed, views  # noqa: E402, F401 - attach the routes to `bp`
