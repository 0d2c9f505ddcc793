"""API refresh tokens: only a hash of each token's id is kept, so they can be revoked at once.

The tokens themselves are signed JWTs made by the web app; this module records which ones are
still good. Logging out revokes one, `accounts.end_all_sessions` revokes them all (logout
everywhere, password change, deactivation), and `accounts.delete_expired_tokens` tidies up.
Functions add and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import update

from folio_common.extensions import db
from folio_common.models import RefreshToken, User, utcnow


def _hash(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


def record_refresh_token(user: User, jti: str, expires_at: datetime) -> RefreshToken:
    token = RefreshToken(user_id=user.id, jti_hash=_hash(jti), expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token


def find_refresh_token(jti: str) -> RefreshToken | None:
    return db.session.execute(
        db.select(RefreshToken).where(RefreshToken.jti_hash == _hash(jti))
    ).scalar_one_or_none()


def is_refresh_token_active(jti: str, user_id: int | None = None) -> bool:
    """True only for a recorded token that is neither revoked nor expired (and is `user_id`'s)."""
    token = find_refresh_token(jti)
    return (
        token is not None
        and token.revoked_at is None
        and token.expires_at > utcnow()
        and (user_id is None or token.user_id == user_id)
    )


def revoke_refresh_token(jti: str) -> bool:
    """Revoke one token; False if it was unknown or already revoked."""
    result = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti_hash == _hash(jti), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)
