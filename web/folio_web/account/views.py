"""Routes of /account: what a signed-in user can see and change about their own account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from folio_common.extensions import db
from folio_common.models import User
from folio_common.services import accounts, images
from folio_common.services.accounts import TokenError
from folio_web import images as uploads
from folio_web.account import bp
from folio_web.account.forms import ButtonForm, ChangeEmailForm, ChangePasswordForm, ProfileForm
from folio_web.auth.views import link_invalid
from folio_web.forms import Outcome, commit_or_show_error, refusal
from folio_web.security import log_in
from folio_web.throttling import (
    note_login_failure,
    throttle_login_failures,
    throttle_resend_confirmation,
)


def _signed_in_user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _signed_in_username() -> str:
    return _signed_in_user().username


# Pages that check the current password count wrong guesses like the log-in form does: a
# borrowed session must not become a way to guess the password without limit.
_throttle_password_checks = throttle_login_failures(_signed_in_username)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("account/index.html", user=_signed_in_user(), button=ButtonForm())


@bp.post("/confirm/resend")
@login_required
@throttle_resend_confirmation
def resend_confirmation() -> ResponseReturnValue:
    user = _signed_in_user()
    if user.is_confirmed:
        flash(_("Your email address is already confirmed."), "info")
    else:
        accounts.resend_confirmation(user)
        db.session.commit()
        flash(_("We have sent a new confirmation link to %(email)s.", email=user.email), "success")
    return redirect(url_for("account.index"))


def _sign_in_again(user: User) -> None:
    """After the session version moved on, keep this browser signed in with the new one."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    log_in(user, remember=remember_cookie in request.cookies)


@contextmanager
def _password_checked(form: FlaskForm, field: str) -> Iterator[Outcome]:
    """`commit_or_show_error`, counting a wrong password in `field` as a failed log-in."""
    with commit_or_show_error(form) as outcome:
        yield outcome
    if outcome.error and outcome.error.field == field:
        note_login_failure()


@bp.post("/sessions/end")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    user = _signed_in_user()
    accounts.end_all_sessions(user)
    db.session.commit()
    _sign_in_again(user)
    flash(_("Every other browser, device and API client has been logged out."), "success")
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@_throttle_password_checks
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _signed_in_user()
        with _password_checked(form, "current_password") as outcome:
            accounts.change_password(user, form.current_password.data, form.password.data)
        if outcome.ok:
            # The change ended every session, this one too.
            _sign_in_again(user)
            flash(
                _("Your password is changed. Other browsers and devices have been logged out."),
                "success",
            )
            return redirect(url_for("account.index"))
    return render_template("account/password.html", form=form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@_throttle_password_checks
def change_email() -> ResponseReturnValue:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        user = _signed_in_user()
        with _password_checked(form, "password") as outcome:
            accounts.request_email_change(user, form.email.data, form.password.data)
        if outcome.ok:
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes when you follow it; "
                    "until then we keep using the current one.",
                    email=accounts.normalise_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("account.index"))
    return render_template("account/email.html", form=form, user=_signed_in_user())


@bp.get("/email/<token>")
def confirm_email_change(token: str) -> ResponseReturnValue:
    # Works without a session: the signed, single-use token is the proof, and people often open
    # the mail on another device.
    try:
        user = accounts.confirm_email_change(token)
        db.session.commit()
    except TokenError as exc:
        db.session.rollback()
        return link_invalid(refusal(exc))
    except IntegrityError:
        db.session.rollback()
        return link_invalid(_("Another account has taken that email address meanwhile."))
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("account.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    user = _signed_in_user()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        with commit_or_show_error(form) as outcome:
            accounts.update_profile(user, form.display_name.data, form.bio.data)
            if file := uploads.uploaded_file(form.avatar.data):
                images.set_avatar(user, uploads.store(user, file, field="avatar"))
            elif form.remove_avatar.data:
                images.set_avatar(user, None)
            accounts.set_locale(user, form.locale.data)
        if outcome.ok:
            refresh()  # the confirmation below, in the language just chosen
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("account.index"))
    return render_template("account/profile.html", form=form, user=user)
