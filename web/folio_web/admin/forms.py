"""The small forms behind the admin's per-user buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from folio_common.models import Role

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    next = HiddenField()


class ActiveForm(FlaskForm):
    # "0" deactivates, "1" reactivates; anything else is refused as an invalid choice.
    active = SelectField(choices=[SelectChoice("0", "Deactivate"), SelectChoice("1", "Reactivate")])
    next = HiddenField()
