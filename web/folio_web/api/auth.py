"""Bearer tokens for the API (flask-jwt-extended): who the caller is, checked on every request.

Access tokens are short-lived and carry the user's session version, so logging out everywhere,
changing the password or being deactivated refuses them at once. Refresh tokens are also
recorded (hashed) in the database, so each can be revoked on its own.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    decode_token,
    get_current_user,
    verify_jwt_in_request,
)

from folio_common.extensions import db
from folio_common.models import User, utcnow
from folio_common.services import api_tokens
from folio_web.api.problems import problem

jwt = JWTManager()

SESSION_VERSION_CLAIM = "sv"
# Security requirements for the OpenAPI document: a bearer token required, or optional.
BEARER_AUTH = [{"bearerAuth": []}]
OPTIONAL_BEARER_AUTH = [{}, {"bearerAuth": []}]
INVALID_TOKEN_CHALLENGE = 'Bearer realm="folio", error="invalid_token"'  # noqa: S105 - a header


def _derived_secret(secret_key: str) -> str:
    # Its own key, so nothing signed for cookies or mailed links can pass as a JWT.
    return hmac.new(secret_key.encode(), b"folio.api.jwt", hashlib.sha256).hexdigest()


def init_jwt(app: Flask) -> None:
    app.config.setdefault("JWT_SECRET_KEY", _derived_secret(app.config["SECRET_KEY"]))
    # Headers only: a cookie is never a credential for the API.
    app.config["JWT_TOKEN_LOCATION"] = ["headers"]
    app.config["JWT_HEADER_TYPE"] = "Bearer"
    # The double-submit CSRF claim only matters for cookies, which the API never reads.
    app.config["JWT_COOKIE_CSRF_PROTECT"] = False
    app.config.setdefault(
        "JWT_ACCESS_TOKEN_EXPIRES", timedelta(minutes=app.config["JWT_ACCESS_MINUTES"])
    )
    app.config.setdefault(
        "JWT_REFRESH_TOKEN_EXPIRES", timedelta(days=app.config["JWT_REFRESH_DAYS"])
    )
    jwt.init_app(app)


def _invalid(detail: str) -> Response:
    return problem(401, detail, headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})


@jwt.user_identity_loader
def _identity(user: User) -> str:
    return str(user.id)


@jwt.user_lookup_loader
def _load_user(_header: dict[str, Any], claims: dict[str, Any]) -> User | None:
    subject = str(claims.get("sub", ""))
    if not subject.isdigit() or len(subject) > 18:
        return None
    user = db.session.get(User, int(subject))
    if user is None or not user.active or user.session_version != claims.get(SESSION_VERSION_CLAIM):
        return None
    return user


@jwt.token_in_blocklist_loader
def _is_revoked(_header: dict[str, Any], claims: dict[str, Any]) -> bool:
    if claims.get("type") != "refresh":
        return False
    return not api_tokens.is_refresh_token_active(str(claims.get("jti", "")))


@jwt.unauthorized_loader
def _missing(_reason: str) -> Response:
    return problem(401, "Send an access token: Authorization: Bearer <token>.")


@jwt.invalid_token_loader
def _malformed(_reason: str) -> Response:
    return _invalid("The token is not valid.")


def _refusal(detail: str) -> Callable[[dict[str, Any], dict[str, Any]], Response]:
    """A loader for a token that was read but is refused: 401 with `detail`."""

    def refuse(_header: dict[str, Any], _claims: dict[str, Any]) -> Response:
        return _invalid(detail)

    return refuse


jwt.expired_token_loader(_refusal("The token has expired."))
jwt.revoked_token_loader(_refusal("The token has been revoked."))
jwt.user_lookup_error_loader(_refusal("The token is no longer valid; sign in again."))
jwt.token_verification_failed_loader(_refusal("The token is not valid."))


def issue_tokens(user: User) -> dict[str, Any]:
    """A new access token and a recorded refresh token (the caller commits)."""
    claims = {SESSION_VERSION_CLAIM: user.session_version}
    access = create_access_token(identity=user, additional_claims=claims)
    refresh = create_refresh_token(identity=user, additional_claims=claims)
    lifetime: timedelta = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    api_tokens.record_refresh_token(user, decode_token(refresh)["jti"], utcnow() + lifetime)
    access_lifetime: timedelta = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int(access_lifetime.total_seconds()),
    }


def api_user() -> User:
    """The caller, in a view behind `jwt_required()`."""
    return get_current_user()


def optional_api_user() -> User | None:
    """The caller if a token was sent; a bad token is still refused with 401."""
    verify_jwt_in_request(optional=True)
    return get_current_user()
