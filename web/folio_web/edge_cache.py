"""Which responses nginx may keep for a moment and hand to every anonymous reader.

nginx's micro-cache (nginx/templates/folio-edge-cache.inc.template) stores a response only when
it carries `X-Accel-Expires`, and only for requests with no cookie and no Authorization header.
The app sets that header here, on responses of views decorated with `shared`: anonymous page
renders and public API reads. Everything else (forms, signed-in pages, drafts, errors) is never
shared. A shared copy may lag a change by up to EDGE_CACHE_SECONDS; the Redis page cache behind
it is invalidated at once. The header means nothing to browsers, and nginx does not pass it on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_limiter import HeaderNames

P = ParamSpec("P")
R = TypeVar("R")

EXPIRES_HEADER = "X-Accel-Expires"
# One client's rate-limit counters must not be replayed to everyone who gets the shared copy.
_PER_CLIENT_HEADERS = tuple(name.value for name in HeaderNames)


def shared(view: Callable[P, R]) -> Callable[P, R]:
    """Let nginx share this view's successful answers to anonymous GETs for a moment."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        g.folio_edge_shareable = True
        return view(*args, **kwargs)

    return wrapper


def is_anonymous_request() -> bool:
    # The same test nginx makes: no cookie means no session, no remember-me and no flash.
    return not request.headers.get("Cookie") and not request.headers.get("Authorization")


def _mark_shareable(response: Response) -> Response:
    seconds = current_app.config["EDGE_CACHE_SECONDS"]
    if (
        seconds > 0
        and g.get("folio_edge_shareable")
        and request.method in {"GET", "HEAD"}
        and response.status_code == 200
        and is_anonymous_request()
    ):
        for name in _PER_CLIENT_HEADERS:
            response.headers.pop(name, None)
        response.headers[EXPIRES_HEADER] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    # Flask runs after_request hooks in reverse order of registration: registered before the
    # limiter, this runs after it has added its headers, so it can take them off again.
    app.after_request(_mark_shareable)
