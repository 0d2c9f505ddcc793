"""What every form view does with a service's answer: commit it, or show its refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import gettext
from flask_wtf import FlaskForm

from folio_common.extensions import db
from folio_common.services.errors import ServiceError


def refusal(error: ServiceError) -> str:
    """A service's refusal in the request's language (services word them in English)."""
    return gettext(error.template, **error.params)


def attach_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, refusal(error)]
    else:
        form.form_errors.append(refusal(error))


@dataclass
class Outcome:
    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def commit_or_show_error(form: FlaskForm) -> Iterator[Outcome]:
    """Commit what the block changed; if a service refuses it, roll back and put the refusal
    on `form` instead. The outcome says which happened:

        with commit_or_show_error(form) as outcome:
            posts.update_post(post, ...)
        if outcome.ok:
            return redirect(...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except ServiceError as error:
        db.session.rollback()
        attach_error(form, error)
        outcome.error = error
    else:
        db.session.commit()
