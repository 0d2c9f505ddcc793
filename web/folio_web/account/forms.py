"""Forms of the account pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from folio_common.services.accounts import PROFILE_BIO_MAX, PROFILE_NAME_MAX
from folio_web.auth.forms import PASSWORD_MAX, email_field, new_password_fields
from folio_web.images import IMAGE_TYPES


def current_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Please enter your current password."),
            Length(max=PASSWORD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field("Current password")
    password, password_confirm = new_password_fields()


class ChangeEmailForm(FlaskForm):
    email = email_field("New email address")
    password = current_password_field("Your password")


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name",
        validators=[Length(max=PROFILE_NAME_MAX)],
        description="Shown instead of your username on your posts; leave empty to use it.",
        render_kw={"autocomplete": "name"},
    )
    bio = TextAreaField(
        "About you",
        validators=[Length(max=PROFILE_BIO_MAX)],
        description=f"A few words for your author page, up to {PROFILE_BIO_MAX} characters.",
    )
    avatar = FileField(
        "Picture",
        description="JPEG, PNG, WebP or GIF, shown round next to your name. Location and camera "
        "data are removed.",
        render_kw={"accept": IMAGE_TYPES},
    )
    remove_avatar = BooleanField("Remove my picture")


class ButtonForm(FlaskForm):
    """No fields: a button that POSTs with a CSRF token."""
