"""/api/v1/users and /api/v1/me: public profiles, the caller's own account, following."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from folio_common.extensions import db
from folio_common.models import Permission, User
from folio_common.services import accounts, follows
from folio_common.services import posts as post_service
from folio_common.services.accounts import USERNAME_PATTERN
from folio_web.api.auth import BEARER_AUTH, api_user
from folio_web.api.problems import fail
from folio_web.api.schemas import MeSchema, ProfileSchema
from folio_web.edge_cache import shared

blp = Blueprint("api-users", __name__, url_prefix="/api/v1", description="People and following")


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "bio": user.bio,
        "role": user.role,
        "created_at": user.created_at,
        "followers": follows.follower_count(user),
        "posts": post_service.published_count(user),
    }


def _active_user(username: str) -> User:
    # Looked up by username only: guessing an email address must not reveal a profile.
    user = accounts.find_user(username) if USERNAME_PATTERN.match(username) else None
    if user is None or not user.active:
        abort(404, description="No such user.")
    return user


@blp.route("/users/<string:username>", methods=["GET"])
@blp.response(200, ProfileSchema)
@shared
def get_profile(username: str) -> dict[str, Any]:
    """Someone's public profile."""
    return _profile(_active_user(username))


@blp.route("/me", methods=["GET"])
@jwt_required()
@blp.response(200, MeSchema)
@blp.doc(security=BEARER_AUTH)
def get_me() -> dict[str, Any]:
    """The caller's own account."""
    user = api_user()
    return _profile(user) | {
        "email": user.email,
        "confirmed": user.is_confirmed,
        "following": follows.following_count(user),
    }


def _follow_target(username: str) -> tuple[User, User]:
    user = api_user()
    if not user.can(Permission.FOLLOW):
        abort(403, description="Your account may not follow people.")
    return user, _active_user(username)


@blp.route("/users/<string:username>/follow", methods=["PUT"])
@jwt_required()
@blp.response(204)
@blp.alt_response(422, description="You cannot follow yourself, or this user does not write")
@blp.doc(security=BEARER_AUTH)
def follow(username: str) -> None:
    """Follow an author (again is fine): their new posts are mailed to you.

    Following yourself, or someone whose role does not write posts, is refused with 422.
    """
    user, author = _follow_target(username)
    try:
        follows.follow(user, author)
    except follows.FollowError as exc:
        db.session.rollback()
        fail(422, str(exc))
    db.session.commit()


@blp.route("/users/<string:username>/follow", methods=["DELETE"])
@jwt_required()
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
def unfollow(username: str) -> None:
    """Stop following (whether or not you were)."""
    user, author = _follow_target(username)
    follows.unfollow(user, author)
    db.session.commit()
