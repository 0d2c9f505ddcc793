"""One version number for everything anonymous visitors see; bumping it invalidates their pages.

Cached pages put the version in their key, so a new post, comment or tag change anywhere makes
every cached page stale at once, without having to know which pages showed what.
"""

from __future__ import annotations

import secrets

from folio_common.extensions import cache

VERSION_KEY = "content-version"


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = secrets.token_hex(4)
        cache.set(VERSION_KEY, version, timeout=0)
    return str(version)


def invalidate() -> None:
    cache.set(VERSION_KEY, secrets.token_hex(4), timeout=0)
