"""The small forms behind the admin's per-user buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from folio_common.models import Role
from folio_web.i18n import ROLE_NAMES

ROLE_CHOICES = [SelectChoice(role.value, ROLE_NAMES[role.value]) for role in Role]


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[InputRequired()])
    next = HiddenField()


class ActiveForm(FlaskForm):
    # "0" deactivates, "1" reactivates; anything else is refused as an invalid choice.
    active = SelectField(
        choices=[SelectChoice("0", _l("Deactivate")), SelectChoice("1", _l("Reactivate"))]
    )
    next = HiddenField()
