"""One version number for everything anonymous visitors see; bumping it invalidates their pages.

Cached pages put the version in their key, so a new post, comment or tag change anywhere makes
every cached page stale at once, without having to know which pages showed what.

Services only mark the session as having changed content; the version moves after the commit.
Bumped before it, a reader arriving between flush and commit would render the old rows and
cache them under the new version, to be served until the cache timeout.
"""

from __future__ import annotations

import secrets

from sqlalchemy import event
from sqlalchemy.orm import Session

from folio_common.extensions import cache, db

VERSION_KEY = "content-version"
_CHANGED_KEY = "folio.content_changed"


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = secrets.token_hex(4)
        cache.set(VERSION_KEY, version, timeout=0)
    return str(version)


def invalidate() -> None:
    """Make every cached page stale once the current transaction commits."""
    db.session().info[_CHANGED_KEY] = True


def bump() -> None:
    cache.set(VERSION_KEY, secrets.token_hex(4), timeout=0)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED_KEY, False):
        bump()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)
