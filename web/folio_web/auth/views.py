"""Routes of /auth: every change of state is a POST carrying a CSRF token."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError

from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.services import accounts
from folio_common.services.accounts import AccountError, TokenError
from folio_web.auth import bp
from folio_web.auth.forms import (
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from folio_web.forms import attach_error, refusal
from folio_web.i18n import current_language
from folio_web.security import log_in, safe_next
from folio_web.throttling import (
    form_value,
    note_login_failure,
    throttle_login_failures,
    throttle_registrations,
    throttle_reset_requests,
)

BAD_CREDENTIALS = N_("That username or email and password do not match an account.")
INACTIVE_ACCOUNT = N_(
    "This account has been deactivated, so it cannot log in. "
    "Please contact the site's administrators if you think this is a mistake."
)


def link_invalid(message: str, retry_endpoint: str | None = None) -> ResponseReturnValue:
    """The page for a mailed link that cannot be used (expired, used, or tampered with)."""
    retry_url = url_for(retry_endpoint) if retry_endpoint else None
    page = render_template("auth/link_invalid.html", message=message, retry_url=retry_url)
    return page, 400


@bp.route("/register", methods=["GET", "POST"])
@throttle_registrations
def register() -> ResponseReturnValue:
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            # None when the address has an account: its owner gets a mail, and the visitor the
            # same answer as a new one, so the form tells no one which addresses are taken.
            accounts.sign_up(
                form.username.data, form.email.data, form.password.data, locale=current_language()
            )
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            attach_error(form, exc)
        except IntegrityError:
            # Someone took the name or address between our check and the insert.
            db.session.rollback()
            form.form_errors.append(_("That username or email address was just taken."))
        else:
            flash(
                _(
                    "Almost there: we have sent a mail to %(email)s. Follow its link to "
                    "confirm your address, then log in here.",
                    email=form.email.data,
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.get("/confirm/<token>")
def confirm(token: str) -> ResponseReturnValue:
    # A GET may use this token up: following the mailed link is the whole point, and all it can
    # do is confirm the address the link was sent to.
    try:
        accounts.confirm_email(token)
    except TokenError as exc:
        db.session.rollback()
        return link_invalid(refusal(exc))
    db.session.commit()
    flash(_("Thank you: your email address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("account.index"))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@throttle_login_failures(form_value("identifier"))
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next())
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(form.identifier.data, form.password.data)
        if user is None:
            note_login_failure()
            form.form_errors.append(_(BAD_CREDENTIALS))
        elif not user.active:
            form.form_errors.append(_(INACTIVE_ACCOUNT))
        else:
            log_in(user, remember=bool(form.remember.data))
            return redirect(safe_next())
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        # Ends this browser's log-in, so a copy of its cookies is worthless; other browsers and
        # API tokens stay signed in ("log out everywhere" on the account page ends those).
        accounts.end_login_session(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=["GET", "POST"])
@throttle_reset_requests
def reset_request() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account: nothing to enumerate.
        hours = current_app.config["RESET_TOKEN_HOURS"]
        flash(
            _(
                "If that address belongs to an account, we have sent it a link to choose a new "
                "password. The link works for %(hours)s hours.",
                hours=hours,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except TokenError as exc:
            db.session.rollback()
            return link_invalid(refusal(exc), retry_endpoint="auth.reset_request")
        except AccountError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your password is changed, and every session has been logged out."), "success")
            flash(_("Please log in with your new password."), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
