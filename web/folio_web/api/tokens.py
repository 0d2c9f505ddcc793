"""/api/v1/auth: trade a password for tokens, rotate the refresh token, log out."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_jwt_extended import get_jwt, jwt_required
from flask_smorest import Blueprint

from folio_common.extensions import db
from folio_common.services import accounts, api_tokens
from folio_web.api.auth import BEARER_AUTH, api_user, issue_tokens
from folio_web.api.responses import requires_json
from folio_web.api.schemas import TokenPairSchema, TokenRequestSchema
from folio_web.throttling import note_login_failure, throttle_login_failures

# Tokens are for the one client that asked: no cache may keep them.
NO_STORE = {"Cache-Control": "no-store"}

blp = Blueprint(
    "api-auth", __name__, url_prefix="/api/v1/auth", description="Access and refresh tokens"
)


def _named_account() -> str | None:
    """The username or email the token request names, if it is text the database can look up."""
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    if not isinstance(name, str) or "\x00" in name or len(name) > 254:
        return None
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return name


@blp.route("/tokens", methods=["POST"])
@throttle_login_failures(_named_account)
@requires_json()
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenPairSchema)
def create_tokens(credentials: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Sign in: a 15-minute access token and a refresh token.

    Wrong credentials count towards the same failed log-in limit as the web form (429 once it
    is reached). Accounts that are not confirmed or are deactivated get no tokens.
    """
    user = accounts.authenticate(credentials["username"], credentials["password"])
    if user is None:
        note_login_failure()
        abort(401, description="Wrong username, email or password.")
    if not user.active:
        abort(403, description="This account has been deactivated.")
    if not user.is_confirmed:
        abort(403, description="Confirm your email address before using the API.")
    tokens = issue_tokens(user)
    db.session.commit()
    return tokens, NO_STORE


@blp.route("/refresh", methods=["POST"])
@jwt_required(refresh=True)
@blp.response(201, TokenPairSchema)
@blp.doc(security=BEARER_AUTH)
def refresh_tokens() -> tuple[dict[str, Any], dict[str, str]]:
    """Send the refresh token as the bearer token: it is revoked and a new pair issued."""
    if not api_tokens.revoke_refresh_token(get_jwt()["jti"]):
        # Another request rotated it first: only one of them may carry on.
        abort(401, description="The token has been revoked.")
    tokens = issue_tokens(api_user())
    db.session.commit()
    return tokens, NO_STORE


@blp.route("/logout", methods=["POST"])
@jwt_required(refresh=True)
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
def logout() -> None:
    """Send the refresh token as the bearer token: it stops working at once."""
    api_tokens.revoke_refresh_token(get_jwt()["jti"])
    db.session.commit()


@blp.route("/logout-everywhere", methods=["POST"])
@jwt_required()
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
def logout_everywhere() -> None:
    """With an access token: end every web session and revoke every token of this account."""
    accounts.end_all_sessions(api_user())
    db.session.commit()
