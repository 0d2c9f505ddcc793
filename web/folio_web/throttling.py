"""Throttles for guessing and spamming: failed log-ins, registrations, reset and resend requests.

Failed log-ins are counted per client address and per account, and only failures count, so a
user who types their password right is never locked out by their own successes. The counters
are shared by every endpoint that checks a password (the log-in form, the account pages that
ask for the current one, the API's token endpoint), so switching doors buys no more guesses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Response, current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from folio_common.services.accounts import find_user, normalise_email
from folio_web.extensions import limiter

P = ParamSpec("P")
R = TypeVar("R")

# Modest ceilings for requests that create rows or send mail; far above what a person needs.
RESET_REQUEST_LIMIT_PER_IP = "10 per hour"
RESET_REQUEST_LIMIT_PER_EMAIL = "5 per hour"
RESEND_CONFIRMATION_LIMIT = "5 per hour"

_FAILED_LOGIN_FLAG = "folio_login_failed"
_IDENTIFIER_MAX = 254


def _login_failure_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def note_login_failure() -> None:
    """Called by a log-in view when the credentials were wrong, so the attempt is counted."""
    setattr(g, _FAILED_LOGIN_FLAG, True)


def login_failed(_response: Response) -> bool:
    """The default failure test: the view called `note_login_failure()` during this request."""
    return bool(g.get(_FAILED_LOGIN_FLAG))


def account_key(identifier: str | None) -> str:
    """One bucket per account, whether it is named by username (any case) or by email."""
    identifier = (identifier or "").strip()
    # Only text that can name an account is looked up; PostgreSQL refuses NUL bytes outright.
    lookable = identifier and len(identifier) <= _IDENTIFIER_MAX and "\x00" not in identifier
    user = find_user(identifier) if lookable else None
    if user is not None:
        return f"user:{user.id}"
    # Unknown names get their own bucket too: guessing at them must cost the same.
    return f"name:{identifier[:_IDENTIFIER_MAX].lower() or '-'}"


def throttle_login_failures(
    identifier: Callable[[], str | None],
    is_failure: Callable[[Response], bool] = login_failed,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view that checks passwords: after LOGIN_FAILURE_LIMIT failures, answer 429.

    `identifier` returns the username or email the request names; `is_failure` looks at the
    finished response and says whether the attempt failed. Only POSTs are counted.
    """
    per_ip = limiter.shared_limit(
        _login_failure_limit,
        scope="login-failures-ip",
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=is_failure,
    )
    per_account = limiter.shared_limit(
        _login_failure_limit,
        scope="login-failures-account",
        key_func=lambda: account_key(identifier()),
        methods=["POST"],
        deduct_when=is_failure,
    )

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        return per_ip(per_account(view))

    return decorator


def form_value(name: str) -> Callable[[], str | None]:
    """An identifier callable reading a field of the submitted form."""
    return lambda: request.form.get(name)


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_LIMIT"]


def throttle_registrations(view: Callable[P, R]) -> Callable[P, R]:
    return limiter.limit(_registration_limit, key_func=get_remote_address, methods=["POST"])(view)


def throttle_reset_requests(view: Callable[P, R]) -> Callable[P, R]:
    """Per address, and per target mailbox so nobody can flood someone else's inbox."""
    per_ip = limiter.limit(
        RESET_REQUEST_LIMIT_PER_IP,
        key_func=get_remote_address,
        methods=["POST"],
        scope="ip",
    )
    per_email = limiter.limit(
        RESET_REQUEST_LIMIT_PER_EMAIL,
        key_func=lambda: f"email:{normalise_email(request.form.get('email', '')) or '-'}",
        methods=["POST"],
        scope="email",
    )
    return per_ip(per_email(view))


def throttle_resend_confirmation(view: Callable[P, R]) -> Callable[P, R]:
    return limiter.limit(
        RESEND_CONFIRMATION_LIMIT,
        key_func=lambda: f"user:{getattr(current_user, 'id', None) or get_remote_address()}",
        methods=["POST"],
    )(view)
