"""Error pages for people and JSON errors for machines; never a traceback.

Nothing here touches the database or Redis: an error page must render while they are away.
A database that is down or too slow (connect or statement timeout) answers 503 with
Retry-After: a branded page that gives back what a form had typed, or problem+json on the API.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.passwords import HashingBusy
from folio_web.api.problems import answers_problems, http_problem, problem
from folio_web.extensions import login_manager

log = logging.getLogger(__name__)

# What a client is told to wait: about as long as a database restart takes.
RETRY_AFTER_SECONDS = 30
# The database could not be reached or did not answer in time, or the process is too busy to
# hash a password soon: worth a retry, not a 500.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    HashingBusy,
)


# The statuses' names as error pages show them (errors/error.html translates `error.name`).
STATUS_NAMES = (
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Not Acceptable"),
    N_("Conflict"),
    N_("Gone"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
)


def wants_json() -> bool:
    # API paths never get here: they answer problem+json (folio_web.api.problems).
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def _error_headers(error: HTTPException) -> dict[str, str]:
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if error.code in (429, 503) and retry_after:
        headers["Retry-After"] = str(retry_after)
    valid_methods = getattr(error, "valid_methods", None)
    if error.code == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return headers


def _rollback() -> None:
    """Drop the request's half-finished work; with the database away that can fail too."""
    try:
        db.session.rollback()
    except Exception as exc:
        log.warning("rollback failed", extra={"error": str(exc)})


def _render_without_user(template: str, **context: object) -> str:
    """Render an error page without loading the signed-in user.

    Flask-Login's template context loads the user from the database on first use; an error page
    shows no user, so a user not loaded yet stays unloaded (anonymous for this response).
    """
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    return render_template(template, **context)


def _typed_fields() -> list[tuple[str, str]]:
    """The fields a form sent, so the 503 page can hand them back (files are not kept)."""
    if request.method != "POST" or request.is_json:
        return []
    return [(name, value) for name, value in request.form.items(multi=True)]


def _unavailable_detail(error: Exception) -> str:
    if isinstance(error, HashingBusy):
        return N_("Folio is too busy to check passwords just now.")
    if isinstance(error, DBAPIError) and isinstance(error.orig, QueryCanceled):
        return N_("Folio took too long to answer this request.")
    return N_("Folio cannot reach its database just now.")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if status >= 500:
            _rollback()
        if answers_problems():
            return http_problem(error)
        if wants_json():
            body = jsonify(status=status, title=error.name, detail=error.description)
        else:
            body = _render_without_user("errors/error.html", error=error, status=status)
        return body, status, _error_headers(error)

    def handle_unavailable(error: Exception) -> ResponseReturnValue:
        _rollback()
        detail = _unavailable_detail(error)
        log.warning(
            "hashing busy" if isinstance(error, HashingBusy) else "database unavailable",
            extra={"error": f"{type(error).__name__}: {error}"[:500], "path": request.path},
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if answers_problems():
            return problem(503, f"{detail} Retry later.", headers=headers)
        if wants_json():
            return jsonify(status=503, title="Service Unavailable", detail=detail), 503, headers
        page = _render_without_user(
            "errors/unavailable.html",
            detail=detail,
            retry_after=RETRY_AFTER_SECONDS,
            fields=_typed_fields(),
        )
        return page, 503, headers

    for error_class in UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, handle_unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> ResponseReturnValue:
        # Whatever half-finished work the request did must not leak into the next one.
        _rollback()
        log.exception("unhandled error")
        return handle_http_error(InternalServerError())
