"""Whole-page caching for anonymous visitors, in Redis through Flask-Caching.

A cached page's key holds the content version (folio_common.services.content_cache), so any
change to posts, comments or tags makes every cached page stale at once. Beside it the key holds
the language the page is rendered in (folio_web.i18n), its path and the arguments it reads
(folio_web.blog.paging), as the page reads them: `?utm_source=...` or any other query string
cannot add entries. Signed-in users, and
anyone with a flash message waiting, always get a fresh render. The same pages are also offered
to nginx's micro-cache for cookieless visitors (folio_web.edge_cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import current_app, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from folio_common.extensions import cache
from folio_common.services import content_cache
from folio_web import edge_cache
from folio_web.blog.paging import ARGUMENTS
from folio_web.i18n import current_language

P = ParamSpec("P")
R = TypeVar("R")


def _bypass() -> bool:
    return current_user.is_authenticated or bool(session.get("_flashes")) or not cache_enabled()


def cache_enabled() -> bool:
    return bool(current_app.config["PAGE_CACHE"])


def _key_for(args: tuple[str, ...]) -> Callable[[], str]:
    def key() -> str:
        read = urlencode([(name, ARGUMENTS[name]()) for name in args])
        language = current_language()
        return f"page:{content_cache.current_version()}:{language}:{request.path}?{read}"

    return key


def _cacheable(view_result: ResponseReturnValue) -> bool:
    # Only plain successful pages: never redirects, or anything setting a cookie.
    response = current_app.make_response(view_result)
    return response.status_code == 200 and "Set-Cookie" not in response.headers


def cached_page(args: tuple[str, ...] = ()) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache the view's anonymous renders under its path and the query `args` it reads."""
    unknown = set(args) - ARGUMENTS.keys()
    if unknown:
        raise ValueError(f"no reader for query arguments {sorted(unknown)}")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        cached_view = cache.cached(
            key_prefix=_key_for(args), unless=_bypass, response_filter=_cacheable
        )(view)
        return edge_cache.shared(cached_view)

    return decorator
