"""Forms for signing up, logging in and resetting a password, and how service errors reach them."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp

from folio_common.passwords import MIN_PASSWORD_LENGTH
from folio_common.services.accounts import USERNAME_PATTERN

EMAIL_MAX = 254
# Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
PASSWORD_MAX = 256


def email_field(label: str = "Email address", autocomplete: str = "email") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired(message="Please enter your email address."),
            Length(max=EMAIL_MAX),
            Email(message="That does not look like an email address."),
        ],
        render_kw={"autocomplete": autocomplete},
    )


def new_password_fields(label: str = "New password") -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label,
        validators=[
            DataRequired(message="Please choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=PASSWORD_MAX,
                message=f"Passwords need {MIN_PASSWORD_LENGTH} to {PASSWORD_MAX} characters.",
            ),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a few unrelated words work well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired(message="Please repeat the password."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegistrationForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(message="Please choose a username."),
            Regexp(
                USERNAME_PATTERN,
                message="Usernames are 3 to 32 letters, digits or underscores.",
            ),
        ],
        description="Shown on your posts and in your author page's address.",
        render_kw={"autocomplete": "username"},
    )
    email = email_field()
    password, password_confirm = new_password_fields("Password")


class LoginForm(FlaskForm):
    identifier = StringField(
        "Username or email",
        validators=[
            DataRequired(message="Please enter your username or email address."),
            Length(max=EMAIL_MAX),
            # The database cannot even be asked about text with NUL bytes in it.
            Regexp(r"^[^\x00-\x1f]*$", message="Usernames and emails are printable text."),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(message="Please enter your password."),
            Length(max=PASSWORD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields()
