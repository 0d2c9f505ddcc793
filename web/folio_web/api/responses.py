"""Response helpers shared by the API views: JSON with ETags, pages with Link headers, 415s."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import Response, abort, current_app, request
from marshmallow import Schema
from sqlalchemy import Select

from folio_common.extensions import db
from folio_common.links import external_url

P = ParamSpec("P")
R = TypeVar("R")

# Ids in paths are bounded so a huge number is a 404, not a database integer overflow.
MAX_ID = 2**31 - 1


def _serialise(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def etag_of(payload: Any) -> str:
    return hashlib.sha256(_serialise(payload).encode()).hexdigest()[:32]


def json_response(
    payload: Any,
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    etag: bool = True,
) -> Response:
    """JSON with a strong ETag of the representation; If-None-Match on GET gives 304."""
    response = current_app.response_class(
        _serialise(payload), status=status, mimetype="application/json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if etag:
        response.set_etag(etag_of(payload))
        if request.method in ("GET", "HEAD") and status == 200:
            response = response.make_conditional(request)
    return response


def check_if_match(current: Any) -> None:
    """412 when the client's If-Match names another version than `current` (a representation)."""
    if request.if_match and not request.if_match.contains(etag_of(current)):
        abort(412, description="The resource has changed since you fetched it; fetch it again.")


def _page_url(args: Mapping[str, Any], page: int) -> str:
    """This list's URL on the public origin, with `page` and only the arguments the endpoint
    parsed (validated and bounded): unknown ones are dropped, so no query string can make the
    Link header outgrow a proxy's buffer."""
    known = {
        name: value.value if isinstance(value, Enum) else value
        for name, value in args.items()
        if name in request.args and name != "page"
    }
    return f"{external_url(request.path)}?{urlencode({**known, 'page': page})}"


def _page_response(
    items: Sequence[Any], schema: Schema, args: Mapping[str, Any], *, total: int
) -> Response:
    page, per_page = args["page"], args["per_page"]
    pages = max(1, math.ceil(total / per_page))
    payload = {
        "data": schema.dump(items, many=True),
        "meta": {"page": page, "per_page": per_page, "total": total, "pages": pages},
    }
    links = [f'<{_page_url(args, 1)}>; rel="first"', f'<{_page_url(args, pages)}>; rel="last"']
    if page > 1:
        links.append(f'<{_page_url(args, min(page - 1, pages))}>; rel="prev"')
    if page < pages:
        links.append(f'<{_page_url(args, page + 1)}>; rel="next"')
    return json_response(payload, headers={"Link": ", ".join(links)})


def paginated(query: Select[Any], schema: Schema, args: Mapping[str, Any]) -> Response:
    """One page of a query as {data, meta} with RFC 8288 Link headers; `args` are the parsed
    query arguments (page, per_page and any filters)."""
    result = db.paginate(
        query, page=args["page"], per_page=args["per_page"], error_out=False, count=True
    )
    return _page_response(list(result.items), schema, args, total=result.total or 0)


def paginated_list(items: Sequence[Any], schema: Schema, args: Mapping[str, Any]) -> Response:
    start = (args["page"] - 1) * args["per_page"]
    return _page_response(items[start : start + args["per_page"]], schema, args, total=len(items))


def get_or_404(
    model: type[R], ident: int, description: str = "Not found.", options: Sequence[Any] = ()
) -> R:
    """The row with primary key `ident` (loaded with `options`, e.g. joinedload), else 404."""
    found = db.session.get(model, ident, options=options) if 0 < ident <= MAX_ID else None
    if found is None:
        abort(404, description=description)
    return found


def requires_json(*, optional: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """415 unless the body is JSON; with `optional`, an empty body is accepted too."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            empty = not request.content_length and not request.get_data(cache=True)
            if not request.is_json and not (optional and empty):
                abort(415, description="Send the request body as application/json.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
