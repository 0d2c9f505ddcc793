"""Whole-page caching for anonymous visitors, in Redis through Flask-Caching.

A cached page's key holds the content version (folio_common.services.content_cache), so any
change to posts, comments or tags makes every cached page stale at once. Signed-in users, and
anyone with a flash message waiting, always get a fresh render. The same pages are also offered
to nginx's micro-cache for cookieless visitors (folio_web.edge_cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from folio_common.extensions import cache
from folio_common.services import content_cache
from folio_web import edge_cache

P = ParamSpec("P")
R = TypeVar("R")


def _bypass() -> bool:
    return current_user.is_authenticated or bool(session.get("_flashes")) or not cache_enabled()


def cache_enabled() -> bool:
    return bool(current_app.config["PAGE_CACHE_ENABLED"])


def _key() -> str:
    return f"page:{content_cache.current_version()}:{request.full_path}"


def _cacheable(view_result: ResponseReturnValue) -> bool:
    # Only plain successful pages: never redirects, or anything setting a cookie.
    response = current_app.make_response(view_result)
    return response.status_code == 200 and "Set-Cookie" not in response.headers


def cached_page(view: Callable[P, R]) -> Callable[P, R]:
    cached_view = cache.cached(key_prefix=_key, unless=_bypass, response_filter=_cacheable)(view)
    return edge_cache.shared(cached_view)
