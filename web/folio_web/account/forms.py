"""Forms of the account pages."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from folio_common.i18n import LANGUAGE_NAMES, LANGUAGES
from folio_common.services.accounts import PROFILE_BIO_MAX, PROFILE_NAME_MAX
from folio_web.auth.forms import PASSWORD_MAX, email_field, new_password_fields
from folio_web.images import IMAGE_TYPES


def current_password_field(label: str | LazyString) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please enter your current password.")),
            Length(max=PASSWORD_MAX),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field(_l("Current password"))
    password, password_confirm = new_password_fields()


class ChangeEmailForm(FlaskForm):
    email = email_field(_l("New email address"))
    password = current_password_field(_l("Your password"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[Length(max=PROFILE_NAME_MAX)],
        description=_l("Shown instead of your username on your posts; leave empty to use it."),
        render_kw={"autocomplete": "name"},
    )
    bio = TextAreaField(
        _l("About you"),
        validators=[Length(max=PROFILE_BIO_MAX)],
        description=_l(
            "A few words for your author page, up to %(max)s characters.", max=PROFILE_BIO_MAX
        ),
    )
    avatar = FileField(
        _l("Picture"),
        description=_l(
            "JPEG, PNG, WebP or GIF, shown round next to your name. Location and camera "
            "data are removed."
        ),
        render_kw={"accept": IMAGE_TYPES},
    )
    remove_avatar = BooleanField(_l("Remove my picture"))
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("The one my browser asks for"))]
        + [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        description=_l("Of Folio's pages and of the mails it sends you."),
        # The accounts service checks the choice (and None, no choice yet, means the browser's).
        validate_choice=False,
    )


class ButtonForm(FlaskForm):
    """No fields: a button that POSTs with a CSRF token."""
