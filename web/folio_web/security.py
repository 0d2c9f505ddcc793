"""Who is signed in, and what they may do: the user loader and permission decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from folio_common.extensions import db
from folio_common.models import Permission, User
from folio_common.services import accounts
from folio_web.extensions import login_manager

P = ParamSpec("P")
R = TypeVar("R")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, version, key = (session_id.split(":", 2) + ["", ""])[:3]
    if not user_id.isdigit() or not version.isdigit() or not key:
        return None
    return accounts.load_login_session(int(user_id), int(version), key)


def log_in(user: User, *, remember: bool = False) -> None:
    """Sign this browser in with a log-in of its own, so logging out here ends only it."""
    accounts.start_login_session(user)
    db.session.commit()
    login_user(user, remember=remember)


def permission_required(permission: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Signed-in users with `permission` get through; others are sent to log in or get 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # type: ignore[return-value]
            if not current_user.can(permission):
                if not current_user.is_confirmed:
                    flash(_("Please confirm your email address first."), "error")
                    return redirect(url_for("account.index"))  # type: ignore[return-value]
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    return permission_required(Permission.ADMINISTER)(view)


def is_safe_next(target: str | None) -> bool:
    """A `next` URL is followed only if it stays on this site: a path, no scheme, no host."""
    if not target:
        return False
    target = target.strip()
    # Browsers treat backslashes as slashes and ignore control characters: "/\\evil" is off-site.
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
    )


def safe_next(default_endpoint: str = "blog.index") -> str:
    # Stripped here too: is_safe_next judges the stripped value, so that is the one to follow
    # ("\n/x" is safe to follow as "/x", but a newline cannot go into a Location header).
    target = (request.args.get("next") or request.form.get("next") or "").strip()
    return target if is_safe_next(target) else url_for(default_endpoint)
