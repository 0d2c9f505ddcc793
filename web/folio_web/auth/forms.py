"""Forms for signing up, logging in and resetting a password, and how service errors reach them."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp

from folio_common.passwords import MIN_PASSWORD_LENGTH
from folio_common.services.accounts import USERNAME_PATTERN

EMAIL_MAX = 254
# Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
PASSWORD_MAX = 256


# Default labels, translated when a form renders.
EMAIL_LABEL = _l("Email address")
NEW_PASSWORD_LABEL = _l("New password")


def email_field(label: str | LazyString = EMAIL_LABEL, autocomplete: str = "email") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired(message=_l("Please enter your email address.")),
            Length(max=EMAIL_MAX),
            Email(message=_l("That does not look like an email address.")),
        ],
        render_kw={"autocomplete": autocomplete},
    )


def new_password_fields(
    label: str | LazyString = NEW_PASSWORD_LABEL,
) -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=PASSWORD_MAX,
                message=_l(
                    "Passwords need %(min)s to %(max)s characters.",
                    min=MIN_PASSWORD_LENGTH,
                    max=PASSWORD_MAX,
                ),
            ),
        ],
        description=_l(
            "At least %(min)s characters; a few unrelated words work well.",
            min=MIN_PASSWORD_LENGTH,
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Please repeat the password.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegistrationForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Please choose a username.")),
            Regexp(
                USERNAME_PATTERN,
                message=_l("Usernames are 3 to 32 letters, digits or underscores."),
            ),
        ],
        description=_l("Shown on your posts and in your author page's address."),
        render_kw={"autocomplete": "username"},
    )
    email = email_field()
    password, password_confirm = new_password_fields(_l("Password"))


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Username or email"),
        validators=[
            DataRequired(message=_l("Please enter your username or email address.")),
            Length(max=EMAIL_MAX),
            # The database cannot even be asked about text with NUL bytes in it.
            Regexp(r"^[^\x00-\x1f]*$", message=_l("Usernames and emails are printable text.")),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Please enter your password.")),
            Length(max=PASSWORD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields()
