"""Admin views; every one is behind `admin_required` (403 for others, login for visitors)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from folio_common.extensions import db
from folio_common.models import Role, User
from folio_common.services import accounts
from folio_common.services import jobs as job_service
from folio_common.services.accounts import AccountError
from folio_web.admin import bp
from folio_web.admin.forms import ActiveForm, RoleForm
from folio_web.blog.paging import page_number
from folio_web.forms import refusal
from folio_web.i18n import ROLE_NAMES
from folio_web.security import admin_required, is_safe_next

USERS_PER_PAGE = 25
JOBS_PER_PAGE = 50


def _back_to_users(form_next: str | None) -> str:
    return form_next if form_next and is_safe_next(form_next) else url_for("admin.users")


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _form_error(form: RoleForm | ActiveForm) -> str:
    messages = [message for errors in form.errors.values() for message in errors]
    return messages[0] if messages else _("That change could not be made.")


@bp.get("/")
@admin_required
def users() -> ResponseReturnValue:
    q = " ".join(request.args.get("q", "").split())
    page = db.paginate(
        accounts.users_matching(q),
        page=page_number(),
        per_page=USERS_PER_PAGE,
        error_out=False,
        count=False,
    )
    page.total = accounts.count_users_matching(q)
    return render_template("admin/users.html", page=page, q=q, roles=list(Role))


# What an admin's change of one user returns: the message for the admin, and what to log.
Change = tuple[str, dict[str, object]]


def _change_user(
    user_id: int, form: RoleForm | ActiveForm, change: Callable[[User], Change], event: str
) -> ResponseReturnValue:
    """Validate `form`, make the change and commit it, flash its message (or the service's
    refusal), and go back to the list."""
    user = _user_or_404(user_id)
    back = _back_to_users(form.next.data)
    if not form.validate():
        flash(_form_error(form), "error")
        return redirect(back)
    try:
        message, logged = change(user)
    except AccountError as exc:
        db.session.rollback()
        flash(refusal(exc), "error")
        return redirect(back)
    db.session.commit()
    current_app.logger.info(event, extra={"user_id": user.id, **logged})
    flash(message, "success")
    return redirect(back)


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> ResponseReturnValue:
    form = RoleForm()

    def change(user: User) -> Change:
        role = Role(form.role.data)
        accounts.set_role(user, role, by=current_user)
        message = _(
            "%(username)s's role is now %(role)s.",
            username=user.username,
            role=str(ROLE_NAMES[role.value]).lower(),
        )
        return message, {"role": role.value}

    return _change_user(user_id, form, change, "role changed")


@bp.post("/users/<int:user_id>/active")
@admin_required
def change_active(user_id: int) -> ResponseReturnValue:
    form = ActiveForm()

    def change(user: User) -> Change:
        active = form.active.data == "1"
        accounts.set_active(user, active, by=current_user)
        if active:
            return _("%(username)s can log in again.", username=user.username), {"active": True}
        message = _(
            "%(username)s is deactivated and signed out everywhere.", username=user.username
        )
        return message, {"active": False}

    return _change_user(user_id, form, change, "account active changed")


@bp.get("/jobs")
@admin_required
def jobs() -> ResponseReturnValue:
    page = db.paginate(
        job_service.recent_runs_query(), page=page_number(), per_page=JOBS_PER_PAGE, error_out=False
    )
    return render_template("admin/jobs.html", page=page)
