"""One version number for everything anonymous visitors see; bumping it invalidates their pages.

Cached pages put the version in their key, so a new post, comment or tag change anywhere makes
every cached page stale at once, without having to know which pages showed what.

Services only mark the session as having changed content; the version moves after the commit.
Bumped before it, a reader arriving between flush and commit would render the old rows and
cache them under the new version, to be served until the cache timeout.

The cache is an optimisation, never a dependency of a write: with its Redis away a bump is
skipped (logged) and readers render fresh pages until it is back; then the first process that
reaches it bumps the version it missed, so no page cached before the outage is served after it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from folio_common.extensions import cache, db

log = logging.getLogger("folio.cache")
T = TypeVar("T")

VERSION_KEY = "content-version"
_CHANGED_KEY = "folio.content_changed"
# The key a page gets while the cache cannot be read: never stored, since writes fail too.
UNAVAILABLE = "unavailable"

# Set when this process could not bump the version; cleared by the bump once Redis answers.
_bump_missed = False


def current_version() -> str:
    global _bump_missed
    try:
        if _bump_missed:
            cache.set(VERSION_KEY, secrets.token_hex(4), timeout=0)
            _bump_missed = False
        version = cache.get(VERSION_KEY)
        if version is None:
            version = secrets.token_hex(4)
            cache.set(VERSION_KEY, version, timeout=0)
    except (RedisError, OSError) as exc:
        log.warning("page cache unavailable", extra={"error": str(exc)})
        return UNAVAILABLE
    return str(version)


def remembered(name: str, compute: Callable[[], T], timeout: int) -> T:
    """`compute()`, kept under the current content version; computed afresh while the cache is
    away, so a Redis outage costs time, never the answer."""
    version = current_version()
    if version == UNAVAILABLE:
        return compute()
    key = f"{name}:{version}"
    try:
        cached = cache.get(key)
    except (RedisError, OSError) as exc:
        log.warning("page cache unavailable", extra={"error": str(exc)})
        return compute()
    if cached is not None:
        return cached
    value = compute()
    try:
        cache.set(key, value, timeout=timeout)
    except (RedisError, OSError) as exc:
        log.warning("page cache unavailable", extra={"error": str(exc)})
    return value


def invalidate() -> None:
    """Make every cached page stale once the current transaction commits."""
    db.session().info[_CHANGED_KEY] = True


def bump() -> None:
    global _bump_missed
    try:
        cache.set(VERSION_KEY, secrets.token_hex(4), timeout=0)
    except (RedisError, OSError) as exc:
        _bump_missed = True
        log.warning("page cache unavailable; invalidation skipped", extra={"error": str(exc)})


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED_KEY, False):
        bump()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)
