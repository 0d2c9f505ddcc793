"""Account mails and new-post mails; the composing lives in folio_common.services.emails."""

from __future__ import annotations

from celery import Task, shared_task

from folio_common.services import emails
from folio_worker.retry import RETRY_OPTIONS


@shared_task(name="folio.send_confirmation_email", **RETRY_OPTIONS)
def send_confirmation_email(self: Task, user_id: int) -> bool:
    return emails.send_confirmation_email(user_id)


@shared_task(name="folio.send_password_reset_email", **RETRY_OPTIONS)
def send_password_reset_email(self: Task, user_id: int) -> bool:
    return emails.send_password_reset_email(user_id)


@shared_task(name="folio.send_account_exists_email", **RETRY_OPTIONS)
def send_account_exists_email(self: Task, user_id: int) -> bool:
    return emails.send_account_exists_email(user_id)


@shared_task(name="folio.send_email_change_email", **RETRY_OPTIONS)
def send_email_change_email(self: Task, user_id: int, new_email: str) -> bool:
    return emails.send_email_change_email(user_id, new_email)


@shared_task(name="folio.send_new_post_emails", **RETRY_OPTIONS)
def send_new_post_emails(self: Task, post_id: int, user_ids: list[int]) -> int:
    return emails.send_new_post_emails(post_id, user_ids)
