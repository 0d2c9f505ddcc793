"""Accounts: registration, confirmation, log-in checks, passwords, email changes, roles.

Functions add to the session and flush; the caller (a view, an API endpoint, a task) commits,
which is also when any task they enqueued is sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, func, or_, select, update

from folio_common import i18n
from folio_common.extensions import cache, db
from folio_common.i18n import N_
from folio_common.models import (
    AccountToken,
    LoginSession,
    RefreshToken,
    Role,
    TokenPurpose,
    User,
    utcnow,
)
from folio_common.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from folio_common.queue import enqueue
from folio_common.services import content_cache
from folio_common.services.errors import ServiceError

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{3,32}$")
DEFAULT_ROLE = Role.AUTHOR


class AccountError(ServiceError):
    """A request about an account that cannot be honoured."""


class TokenError(AccountError):
    """A link that is malformed, expired, already used or meant for something else."""


def users_matching(q: str) -> Select[tuple[User]]:
    """Users whose username or email contains `q` (any case, wildcards matched literally),
    newest accounts first."""
    query = select(User)
    if q := q.strip():
        query = query.where(
            or_(
                User.username.icontains(q, autoescape=True),
                User.email.icontains(q, autoescape=True),
            )
        )
    return query.order_by(User.created_at.desc(), User.id.desc())


# The admin's list says how many users match. Counting every account costs Postgres about 5 ms
# a view at 100,000 users, and a sign-up shown a minute late in that number is harmless.
USER_COUNT_SECONDS = 60


@cache.memoize(timeout=USER_COUNT_SECONDS)
def count_users_matching(q: str) -> int:
    """How many users `users_matching(q)` lists, kept for a minute (Redis errors: counted anew)."""
    matching = users_matching(q).order_by(None).with_only_columns(User.id).subquery()
    return db.session.scalar(select(func.count()).select_from(matching)) or 0


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            N_("Passwords need at least %(min)s characters."),
            field="password",
            min=MIN_PASSWORD_LENGTH,
        )


def find_user(identifier: str) -> User | None:
    """The user whose username (any case) or email is `identifier`."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return db.session.execute(
        db.select(User).where(
            or_(
                func.lower(User.username) == identifier.lower(),
                User.email == normalise_email(identifier),
            )
        )
    ).scalar_one_or_none()


def username_taken(username: str) -> bool:
    found = db.session.execute(
        db.select(User.id).where(func.lower(User.username) == username.strip().lower())
    ).first()
    return found is not None


def email_taken(email: str) -> bool:
    found = db.session.execute(
        db.select(User.id).where(User.email == normalise_email(email))
    ).first()
    return found is not None


def _check_new_account(username: str, password: str) -> str:
    """The username a new account would have, once it and the password pass every rule."""
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            N_("Usernames are 3 to 32 letters, digits or underscores."), field="username"
        )
    validate_password(password)
    if username_taken(username):
        raise AccountError(N_("That username is taken."), field="username")
    return username


def register_user(
    username: str,
    email: str,
    password: str,
    *,
    role: Role = DEFAULT_ROLE,
    confirmed: bool = False,
    send_confirmation: bool = True,
    locale: str | None = None,
) -> User:
    username = _check_new_account(username, password)
    if email_taken(email):
        raise AccountError(N_("An account with that email already exists."), field="email")
    user = User(
        username=username,
        email=normalise_email(email),
        password_hash=hash_password(password),
        role=role,
        confirmed_at=utcnow() if confirmed else None,
        locale=i18n.supported(locale),
    )
    db.session.add(user)
    db.session.flush()
    if send_confirmation and not confirmed:
        enqueue("folio.send_confirmation_email", user.id)
    return user


def sign_up(username: str, email: str, password: str, locale: str | None = None) -> User | None:
    """A visitor's registration: the new, unconfirmed user; or None when the address already has
    an account, whose owner is mailed instead. `locale` is the language the visitor signed up
    in, which their mails then come in.

    The visitor is told the same in both cases ("we have sent you a mail"), so the form cannot
    be used to find out who has an account. Usernames are public (author pages), so a taken one
    is still refused outright.
    """
    existing = db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
    if existing is None:
        return register_user(username, email, password, locale=locale)
    username = _check_new_account(username, password)
    hash_password(password)  # the cost a new account would have had: timing tells nothing either
    enqueue("folio.send_account_exists_email", existing.id)
    return None


def authenticate(identifier: str, password: str) -> User | None:
    """The user if the password matches; None otherwise (same cost whether or not they exist)."""
    user = find_user(identifier)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        # Argon2's parameters moved on since this hash was made: the caller's commit upgrades it.
        user.password_hash = hash_password(password)
    return user


def ensure_admin(username: str, email: str, password: str) -> tuple[User, bool]:
    """Create a confirmed admin, or make the existing account with that username one."""
    validate_password(password)
    user = find_user(username)
    if user is None:
        return (
            register_user(username, email, password, role=Role.ADMIN, confirmed=True),
            True,
        )
    user.role = Role.ADMIN
    user.active = True
    user.confirmed_at = user.confirmed_at or utcnow()
    user.password_hash = hash_password(password)
    return user, False


# --- signed, single-use tokens -------------------------------------------------------------


def _serializer(purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"folio.{purpose.value}")


def _token_lifetime(purpose: TokenPurpose) -> timedelta:
    hours = (
        current_app.config["RESET_TOKEN_HOURS"]
        if purpose == TokenPurpose.RESET
        else current_app.config["CONFIRM_TOKEN_HOURS"]
    )
    return timedelta(hours=hours)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose, new_email: str | None = None) -> str:
    """A signed token for a link; only its hash is stored, so a database leak reveals no links."""
    nonce = secrets.token_urlsafe(24)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(nonce),
            new_email=new_email,
            expires_at=utcnow() + _token_lifetime(purpose),
        )
    )
    db.session.flush()
    return _serializer(purpose).dumps({"u": user.id, "n": nonce})


def consume_token(token: str, purpose: TokenPurpose) -> AccountToken:
    """Check a token from a link and mark it used; raises TokenError when it is not valid."""
    max_age = int(_token_lifetime(purpose).total_seconds())
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError(N_("This link has expired. Please ask for a new one.")) from exc
    except BadSignature as exc:
        raise TokenError(N_("This link is not valid.")) from exc
    if not isinstance(payload, dict) or "n" not in payload or "u" not in payload:
        raise TokenError(N_("This link is not valid."))
    record = db.session.execute(
        db.select(AccountToken).where(
            AccountToken.token_hash == _hash(str(payload["n"])),
            AccountToken.purpose == purpose,
            AccountToken.user_id == payload["u"],
        )
    ).scalar_one_or_none()
    if record is None:
        raise TokenError(N_("This link is not valid."))
    if record.used_at is not None:
        raise TokenError(N_("This link has already been used."))
    if record.expires_at <= utcnow():
        raise TokenError(N_("This link has expired. Please ask for a new one."))
    record.used_at = utcnow()
    return record


def confirm_email(token: str) -> User:
    record = consume_token(token, TokenPurpose.CONFIRM)
    user = db.session.get(User, record.user_id)
    if user is None:
        raise TokenError(N_("This link is not valid."))
    user.confirmed_at = user.confirmed_at or utcnow()
    return user


def resend_confirmation(user: User) -> None:
    if not user.is_confirmed:
        enqueue("folio.send_confirmation_email", user.id)


# --- passwords and sessions ------------------------------------------------------------------


def end_all_sessions(user: User) -> None:
    """Log out everywhere: every browser's log-in, every API access and refresh token."""
    user.session_version += 1
    now = utcnow()
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def start_login_session(user: User) -> None:
    """Record a browser's log-in; `user.get_id()` then names it for Flask-Login's cookies."""
    key = secrets.token_urlsafe(24)
    lifetime = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    if not isinstance(lifetime, timedelta):
        lifetime = timedelta(seconds=int(lifetime))
    db.session.add(
        LoginSession(user_id=user.id, key_hash=_hash(key), expires_at=utcnow() + lifetime)
    )
    user.login_key = key


# Built once: every signed-in request runs it, and building the expression cost as much as
# SQLAlchemy's work to run it.
_OPEN_LOGIN = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        User.session_version == bindparam("session_version"),
        User.active.is_(True),
        LoginSession.key_hash == bindparam("key_hash"),
        LoginSession.ended_at.is_(None),
        LoginSession.expires_at > bindparam("now"),
    )
)


def load_login_session(user_id: int, session_version: int, key: str) -> User | None:
    """The active user whose log-in `key` is still open, in one query; None otherwise."""
    user = db.session.execute(
        _OPEN_LOGIN,
        {
            "user_id": user_id,
            "session_version": session_version,
            "key_hash": _hash(key),
            "now": utcnow(),
        },
    ).scalar_one_or_none()
    if user is not None:
        user.login_key = key
    return user


def end_login_session(user: User) -> None:
    """Log out this browser only: its log-in key stops working, everything else stays."""
    if user.login_key:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.key_hash == _hash(user.login_key))
            .values(ended_at=utcnow())
        )
    user.login_key = None


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active account; silent otherwise."""
    user = db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
    if user is not None and user.active:
        enqueue("folio.send_password_reset_email", user.id)


def reset_password(token: str, new_password: str) -> User:
    validate_password(new_password)
    record = consume_token(token, TokenPurpose.RESET)
    user = db.session.get(User, record.user_id)
    if user is None:
        raise TokenError(N_("This link is not valid."))
    user.password_hash = hash_password(new_password)
    # Following a mailed link proves the address, too.
    user.confirmed_at = user.confirmed_at or utcnow()
    end_all_sessions(user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise AccountError(N_("Your current password is not correct."), field="current_password")
    validate_password(new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


def request_email_change(user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; the change happens when it is followed."""
    if not verify_password(user.password_hash, password):
        raise AccountError(N_("Your password is not correct."), field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(N_("That is already your email address."), field="email")
    if email_taken(new_email):
        raise AccountError(N_("An account with that email already exists."), field="email")
    enqueue("folio.send_email_change_email", user.id, new_email)


def confirm_email_change(token: str) -> User:
    record = consume_token(token, TokenPurpose.CHANGE_EMAIL)
    user = db.session.get(User, record.user_id)
    if user is None or record.new_email is None:
        raise TokenError(N_("This link is not valid."))
    if email_taken(record.new_email):
        raise TokenError(N_("Another account has taken that email address meanwhile."))
    user.email = record.new_email
    user.confirmed_at = utcnow()
    return user


PROFILE_NAME_MAX = 64
PROFILE_BIO_MAX = 500


def update_profile(user: User, display_name: str | None, bio: str | None) -> None:
    """Set the public name and bio; blank values clear them."""
    display_name = (display_name or "").strip() or None
    bio = (bio or "").strip() or None
    if display_name and len(display_name) > PROFILE_NAME_MAX:
        raise AccountError(
            N_("Display names are at most %(max)s characters."),
            field="display_name",
            max=PROFILE_NAME_MAX,
        )
    if bio and len(bio) > PROFILE_BIO_MAX:
        raise AccountError(
            N_("Bios are at most %(max)s characters."), field="bio", max=PROFILE_BIO_MAX
        )
    user.display_name = display_name
    user.bio = bio
    content_cache.invalidate()  # pages show authors' names and bios


def set_locale(user: User, locale: str | None) -> None:
    """The language of the user's pages and mails; None or "" follows the browser."""
    if locale and not i18n.supported(locale):
        raise AccountError(N_("Folio does not speak that language."), field="locale")
    user.locale = locale or None


# --- administration ---------------------------------------------------------------------------


def set_role(user: User, role: Role, *, by: User | None = None) -> None:
    """Give `user` another role; an admin (`by`) cannot drop their own admin role, or the last
    admin could lock everyone out of the admin pages."""
    if by is not None and by.id == user.id and role != Role.ADMIN:
        raise AccountError(N_("You cannot remove your own admin role; ask another admin to do it."))
    user.role = Role(role)


def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    """Let `user` log in, or not (ending every session); `by` cannot deactivate themselves."""
    if by is not None and by.id == user.id and not active:
        raise AccountError(N_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        end_all_sessions(user)


def delete_expired_tokens() -> int:
    """Remove account and refresh tokens and log-ins past their expiry; returns how many went."""
    now = utcnow()
    removed = 0
    for model in (AccountToken, RefreshToken, LoginSession):
        result = db.session.execute(db.delete(model).where(model.expires_at < now))
        removed += result.rowcount or 0
    return removed
