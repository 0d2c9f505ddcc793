"""Every API error as `application/problem+json` (RFC 9457): type, title, status, detail."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, NoReturn

from flask import Response, abort, current_app, request
from werkzeug.exceptions import HTTPException, TooManyRequests, Unauthorized

from folio_web.extensions import limiter

API_PREFIX = "/api/"
PROBLEM_MIMETYPE = "application/problem+json"
# Clients are told which scheme to use; the token endpoints are where they get one.
BEARER_CHALLENGE = 'Bearer realm="folio"'


# Blueprints outside /api/ whose endpoints answer JSON to scripts: their errors are problems too.
PROBLEM_BLUEPRINTS = frozenset({"editor"})


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def answers_problems() -> bool:
    """Errors of this request are problem+json: an API request or an editor endpoint's."""
    return is_api_request() or request.blueprint in PROBLEM_BLUEPRINTS


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem details response; `extensions` become extra members (e.g. `errors`)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _phrase(status),
        "status": status,
        "detail": detail or _phrase(status),
    }
    body.update(extensions)
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE
    )
    if status == 401 and "WWW-Authenticate" not in (headers or {}):
        response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def validation_errors(messages: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flatten webargs/marshmallow messages ({location: {field: [msg]}}) into one list."""
    errors: list[dict[str, Any]] = []

    def walk(location: str, path: list[str], value: Any) -> None:
        if isinstance(value, Mapping):
            for key, nested in value.items():
                walk(location, [*path, str(key)], nested)
        else:
            items = value if isinstance(value, list) else [value]
            if items and all(isinstance(item, str) for item in items):
                errors.append({"location": location, "field": ".".join(path), "messages": items})
            else:
                for item in items:
                    walk(location, path, item)

    for location, fields in messages.items():
        walk(location, [], fields)
    return errors


def _retry_after(error: HTTPException) -> str:
    current = limiter.current_limit
    if current is not None:
        return str(max(1, math.ceil(current.reset_at - time.time())))
    limit = getattr(getattr(error, "limit", None), "limit", None)
    return str(limit.get_expiry() if limit is not None else 60)


def fail(status: int, detail: str, *, field: str | None = None) -> NoReturn:
    """Raise an HTTP error whose problem document says why and, if known, which field."""
    try:
        abort(status, description=detail)
    except HTTPException as exc:
        exc.data = {"message": detail}  # type: ignore[attr-defined]
        if field:
            exc.data["messages"] = {"json": {field: [detail]}}  # type: ignore[attr-defined]
        raise


def http_problem(error: HTTPException) -> Response:
    """The problem response for an HTTPException raised while serving the API."""
    status = error.code or 500
    headers: dict[str, str] = {}
    extensions: dict[str, Any] = {}
    data = getattr(error, "data", None) or {}
    headers.update(data.get("headers") or {})
    messages = data.get("messages")
    detail = data.get("message") or error.description
    if messages:
        extensions["errors"] = validation_errors(messages)
        if "message" not in data:
            # webargs found the fault: the request's JSON or its fields.
            detail = (
                "The request body is not valid JSON."
                if status == 400
                else "The request did not pass validation; see errors."
            )
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = BEARER_CHALLENGE
    if status == 405:
        valid = getattr(error, "valid_methods", None)
        if valid:
            headers["Allow"] = ", ".join(valid)
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = _retry_after(error)
    return problem(status, detail, title=error.name, headers=headers, **extensions)
