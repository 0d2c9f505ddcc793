"""Admin views; every one is behind `admin_required` (403 for others, login for visitors)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from folio_common.extensions import db
from folio_common.models import Role, User
from folio_common.services import accounts
from folio_common.services import jobs as job_service
from folio_web.admin import bp
from folio_web.admin.forms import ActiveForm, RoleForm
from folio_web.blog.paging import page_number
from folio_web.security import admin_required, is_safe_next

USERS_PER_PAGE = 25
JOBS_PER_PAGE = 50


def _back_to_users(form_next: str | None) -> str:
    return form_next if form_next and is_safe_next(form_next) else url_for("admin.users")


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _form_error(form: RoleForm | ActiveForm) -> str:
    messages = [message for errors in form.errors.values() for message in errors]
    return messages[0] if messages else "That change could not be made."


@bp.get("/")
@admin_required
def users() -> ResponseReturnValue:
    q = " ".join(request.args.get("q", "").split())
    page = db.paginate(
        accounts.users_matching(q), page=page_number(), per_page=USERS_PER_PAGE, error_out=False
    )
    return render_template("admin/users.html", page=page, q=q, roles=list(Role))


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = RoleForm()
    back = _back_to_users(form.next.data)
    if not form.validate():
        flash(_form_error(form), "error")
        return redirect(back)
    role = Role(form.role.data)
    if user.id == current_user.id and role != Role.ADMIN:
        # Otherwise the last admin could lock everyone out of this page.
        flash("You cannot remove your own admin role; ask another admin to do it.", "error")
        return redirect(back)
    accounts.set_role(user, role)
    db.session.commit()
    current_app.logger.info("role changed", extra={"user_id": user.id, "role": role.value})
    flash(f"{user.username}'s role is now {role.value}.", "success")
    return redirect(back)


@bp.post("/users/<int:user_id>/active")
@admin_required
def change_active(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = ActiveForm()
    back = _back_to_users(form.next.data)
    if not form.validate():
        flash(_form_error(form), "error")
        return redirect(back)
    active = form.active.data == "1"
    if user.id == current_user.id and not active:
        flash("You cannot deactivate your own account.", "error")
        return redirect(back)
    accounts.set_active(user, active)
    db.session.commit()
    current_app.logger.info("account active changed", extra={"user_id": user.id, "active": active})
    if active:
        flash(f"{user.username} can log in again.", "success")
    else:
        flash(f"{user.username} is deactivated and signed out everywhere.", "success")
    return redirect(back)


@bp.get("/jobs")
@admin_required
def jobs() -> ResponseReturnValue:
    page = db.paginate(
        job_service.recent_runs_query(), page=page_number(), per_page=JOBS_PER_PAGE, error_out=False
    )
    return render_template("admin/jobs.html", page=page)
