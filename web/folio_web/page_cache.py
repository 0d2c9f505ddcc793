"""Whole-page caching for anonymous visitors, in Redis through Flask-Caching.

A cached page's key holds the content version (folio_common.services.content_cache), so any
change to posts, comments or tags makes every cached page stale at once. Beside it the key holds
the page's path and the arguments it reads (folio_web.blog.paging), as the page reads them:
`?utm_source=...` or any other query string cannot add entries. Signed-in users, and
anyone with a flash message waiting, always get a fresh render. The same pages are also offered
to nginx's micro-cache for cookieless visitors (folio_web.edge_cache).

Signed-in readers cannot share whole pages (the header, forms and buttons are theirs), but the
lists inside them are the same for everyone: a template puts such a part in
`{% call cached_fragment('name') %}...{% endcall %}`, which keeps its HTML under the page's key
for every visitor. The view hands the template its data as `Deferred`, so a fragment served from
the cache never runs the queries behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property, wraps
from typing import Any, Generic, ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import current_app, g, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from folio_common.extensions import cache
from folio_common.services import content_cache
from folio_web import edge_cache
from folio_web.blog.paging import ARGUMENTS

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def _bypass() -> bool:
    return current_user.is_authenticated or bool(session.get("_flashes")) or not cache_enabled()


def cache_enabled() -> bool:
    return bool(current_app.config["PAGE_CACHE"])


def _page_id(args: tuple[str, ...]) -> str:
    """The page as it reads the request: its path and the query arguments it uses."""
    read = urlencode([(name, ARGUMENTS[name]()) for name in args])
    return f"{request.path}?{read}"


def _key_for(args: tuple[str, ...]) -> Callable[[], str]:
    def key() -> str:
        return f"page:{content_cache.current_version()}:{_page_id(args)}"

    return key


def _cacheable(view_result: ResponseReturnValue) -> bool:
    # Only plain successful pages: never redirects, or anything setting a cookie.
    response = current_app.make_response(view_result)
    return response.status_code == 200 and "Set-Cookie" not in response.headers


def cached_page(
    args: tuple[str, ...] = (), *, personal: bool = True
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache the view's anonymous renders under its path and the query `args` it reads.

    A view whose answer shows nothing of the visitor (a feed) says `personal=False`: its
    cached copy then serves signed-in visitors too."""
    unknown = set(args) - ARGUMENTS.keys()
    if unknown:
        raise ValueError(f"no reader for query arguments {sorted(unknown)}")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        cached_view = cache.cached(
            key_prefix=_key_for(args),
            unless=_bypass if personal else lambda: not cache_enabled(),
            response_filter=_cacheable,
        )(view)

        @wraps(view)
        def keyed(*a: P.args, **kw: P.kwargs) -> R:
            g.folio_page_args = args  # for the fragments of a signed-in render
            return cached_view(*a, **kw)

        return edge_cache.shared(keyed)

    return decorator


def cached_fragment(name: str, caller: Callable[[], Markup]) -> Markup:
    """A part of a cached page that shows nothing of the visitor, kept for everyone.

    Outside a `cached_page` view, or with the page cache off, it is rendered every time. The
    caller's output is already escaped Markup, and stays Markup through the cache (pickle)."""
    args = g.get("folio_page_args")
    if args is None or not cache_enabled():
        return caller()
    return content_cache.remembered(
        f"fragment:{name}:{_page_id(args)}",
        caller,
        timeout=current_app.config["CACHE_DEFAULT_TIMEOUT"],
    )


class Deferred(Generic[T]):
    """A view's value computed on first use, by the template; a fragment that comes from the
    cache never reads it, and so never pays for the query behind it."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute = compute

    @cached_property
    def value(self) -> T:
        return self._compute()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.value, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.value)  # type: ignore[call-overload]

    def __len__(self) -> int:
        return len(self.value)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.value)
