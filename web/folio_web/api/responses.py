"""Response helpers shared by the API views: ETags, pages with Link headers, 404s and 415s."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import Response, abort, request
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy import Select, func, select

from folio_common.extensions import db
from folio_common.links import external_url
from folio_web.api.auth import BEARER_AUTH

P = ParamSpec("P")
R = TypeVar("R")

# Ids in paths are bounded so a huge number is a 404, not a database integer overflow.
MAX_ID = 2**31 - 1


def _serialise(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(serialised: str) -> str:
    return hashlib.sha256(serialised.encode()).hexdigest()[:32]


def etag_of(payload: Any) -> str:
    return _digest(_serialise(payload))


def add_etag(response: Response) -> Response:
    """After each API view: a strong ETag of the JSON representation flask-smorest serialised,
    and 304 to a GET whose If-None-Match names it.

    Not flask-smorest's `@blp.etag`: it answers 428 to a PATCH, PUT or DELETE without If-Match,
    and in this API If-Match is optional (`check_if_match`). The digest is taken of the parsed
    body, so it equals `etag_of` of the same data however the app's JSON provider formats it.
    """
    if (
        response.mimetype != "application/json"
        or response.status_code not in (200, 201, 202)
        or "no-store" in response.headers.get("Cache-Control", "")  # tokens: nothing to reuse
    ):
        return response
    response.set_etag(etag_of(response.get_json()))
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response = response.make_conditional(request)
    return response


def check_if_match(current: Any) -> None:
    """412 when the client's If-Match names another version than `current` (a representation)."""
    if request.if_match and not request.if_match.contains(etag_of(current)):
        abort(412, description="The resource has changed since you fetched it; fetch it again.")


def _page_url(args: Mapping[str, Any], page: int | None = None, **cursor: int) -> str:
    """This list's URL on the public origin with `page` or a cursor, and only the arguments the
    endpoint parsed (validated and bounded): unknown ones are dropped, so no query string can
    make the Link header outgrow a proxy's buffer."""
    known: dict[str, Any] = {
        name: value.value if isinstance(value, Enum) else value
        for name, value in args.items()
        if name in request.args and name not in ("page", "before", "after")
    }
    if page is not None:
        known["page"] = page
    known.update(cursor)
    return f"{external_url(request.path)}?{urlencode(known)}"


# Pages are built here rather than with flask-smorest's `@blp.paginate`: that gives page numbers
# in an X-Pagination header, while this API's lists answer {data, meta} with RFC 8288 Link
# headers, counts that stop at a cap (`total_capped`) and cursors (`before=`, `after=`).
Page = tuple[dict[str, Any], dict[str, str]]


def page_response(
    items: Sequence[Any],
    args: Mapping[str, Any],
    *,
    total: int,
    capped: bool | None = None,
    cursors: tuple[int | None, int | None] | None = None,
) -> Page:
    """A page of a list as {data, meta} and its RFC 8288 Link header, for the view's page schema
    to serialise; `args` are the parsed query arguments (page, per_page and any filters).

    A count may stop at a cap: `capped` says whether it did (None: a list that is always counted
    in full), and when it did `last` is left out. With cursors, next and prev follow them
    (`before=`, `after=`) instead of page numbers.
    """
    page, per_page = args["page"], args["per_page"]
    pages = max(1, math.ceil(total / per_page))
    meta: dict[str, Any] = {"page": page, "per_page": per_page, "total": total, "pages": pages}
    if capped is not None:
        meta["total_capped"] = capped
    links = [f'<{_page_url(args, 1)}>; rel="first"']
    if not capped:
        links.append(f'<{_page_url(args, pages)}>; rel="last"')
    if cursors is not None:
        older, newer = cursors
        meta.update(older=older, newer=newer)
        if newer is not None:
            links.append(f'<{_page_url(args, after=newer)}>; rel="prev"')
        if older is not None:
            links.append(f'<{_page_url(args, before=older)}>; rel="next"')
    else:
        if page > 1:
            links.append(f'<{_page_url(args, min(page - 1, pages))}>; rel="prev"')
        if page < pages or (capped and len(items) == per_page):
            links.append(f'<{_page_url(args, page + 1)}>; rel="next"')
    return {"data": items, "meta": meta}, {"Link": ", ".join(links)}


def capped_count(query: Select[Any], cap: int) -> tuple[int, bool]:
    """How many rows `query` has, counting no further than `cap`; and whether it stopped there.

    The query keeps its order, so the count walks the list's own index and stops at the cap.
    """
    limited = query.limit(cap + 1).subquery()
    found = db.session.execute(select(func.count()).select_from(limited)).scalar_one()
    return min(found, cap), found > cap


def paginated(query: Select[Any], args: Mapping[str, Any]) -> Page:
    """One page of a query, counted in full (for lists that stay small)."""
    result = db.paginate(
        query, page=args["page"], per_page=args["per_page"], error_out=False, count=True
    )
    return page_response(list(result.items), args, total=result.total or 0)


def paginated_list(items: Sequence[Any], args: Mapping[str, Any]) -> Page:
    start = (args["page"] - 1) * args["per_page"]
    return page_response(items[start : start + args["per_page"]], args, total=len(items))


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


def json_write(
    blp: Blueprint, schema: type[Schema], status: int, response: type[Schema]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A client's write with its bearer token: a JSON body that `schema` loads (415 if it is not
    JSON), answered with `status` and a body that `response` serialises."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view = blp.doc(security=BEARER_AUTH)(view)
        view = blp.response(status, response)(view)
        view = blp.arguments(schema)(view)
        return jwt_required()(requires_json()(view))

    return decorator
