"""Error pages for people and JSON errors for machines; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

from folio_common.extensions import db
from folio_web.api.problems import http_problem, is_api_request

log = logging.getLogger(__name__)


def wants_json() -> bool:
    # API paths never get here: they answer problem+json (folio_web.api.problems).
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def _error_headers(error: HTTPException) -> dict[str, str]:
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if error.code == 429 and retry_after:
        headers["Retry-After"] = str(retry_after)
    valid_methods = getattr(error, "valid_methods", None)
    if error.code == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return headers


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if status >= 500:
            db.session.rollback()
        if is_api_request():
            return http_problem(error)
        if wants_json():
            body = jsonify(status=status, title=error.name, detail=error.description)
        else:
            body = render_template("errors/error.html", error=error, status=status)
        return body, status, _error_headers(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> ResponseReturnValue:
        # Whatever half-finished work the request did must not leak into the next one.
        db.session.rollback()
        log.exception("unhandled error")
        return handle_http_error(InternalServerError())
