"""Readers following authors."""

from __future__ import annotations

from sqlalchemy import func, select

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.models import Follow, Role, User
from folio_common.services import content_cache
from folio_common.services.errors import ServiceError


class FollowError(ServiceError):
    pass


def is_followable(author: User) -> bool:
    """Only people who write can be followed."""
    return author.role in (Role.AUTHOR, Role.ADMIN)


def is_following(follower: User, author: User) -> bool:
    return db.session.get(Follow, (follower.id, author.id)) is not None


def follow(follower: User, author: User) -> bool:
    """Start following; False if already following. Idempotent."""
    if follower.id == author.id:
        raise FollowError(N_("You cannot follow yourself."))
    if not is_followable(author):
        raise FollowError(N_("Only authors can be followed."))
    if is_following(follower, author):
        return False
    db.session.add(Follow(follower_id=follower.id, author_id=author.id))
    db.session.flush()
    content_cache.invalidate()  # author pages show follower counts
    return True


def unfollow(follower: User, author: User) -> bool:
    existing = db.session.get(Follow, (follower.id, author.id))
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    content_cache.invalidate()  # author pages show follower counts
    return True


# A popular author's count walks thousands of index entries on every view of their page and
# posts; kept under the content version, which each follow and unfollow moves.
FOLLOWER_COUNT_SECONDS = 600


def follower_count(author: User) -> int:
    query = select(func.count()).select_from(Follow).where(Follow.author_id == author.id)
    return content_cache.remembered(
        f"followers:{author.id}",
        lambda: db.session.execute(query).scalar_one(),
        timeout=FOLLOWER_COUNT_SECONDS,
    )


def follower_ids(author_id: int, *, after_id: int = 0, limit: int = 100) -> list[int]:
    """Follower ids in ascending order, a page at a time (for batched fan-out)."""
    return list(
        db.session.execute(
            select(Follow.follower_id)
            .join(User, User.id == Follow.follower_id)
            .where(Follow.author_id == author_id, Follow.follower_id > after_id, User.active)
            .order_by(Follow.follower_id)
            .limit(limit)
        ).scalars()
    )


def following_count(follower: User) -> int:
    return db.session.execute(
        select(func.count()).select_from(Follow).where(Follow.follower_id == follower.id)
    ).scalar_one()
