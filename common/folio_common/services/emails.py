"""The mails Folio sends: each function composes one kind of mail and sends it.

Called by worker tasks with ids. Each checks that the mail still makes sense (the user may have
been deleted or confirmed since the task was enqueued) and commits its own work, so a task retried
after a failure does not repeat what already happened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache
from typing import Any

from flask import current_app
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import IntegrityError

from folio_common import links
from folio_common.extensions import db
from folio_common.mail import send_mail
from folio_common.models import Post, PostNotification, PostStatus, TokenPurpose, User
from folio_common.queue import enqueue
from folio_common.services import accounts, follows

log = logging.getLogger("folio.emails")


@cache
def _environment() -> Environment:
    # The web app and the worker have different template folders; mails live with common.
    return Environment(
        loader=PackageLoader("folio_common", "templates/email"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of `template` (`<template>.txt` and `<template>.html`)."""
    environment = _environment()
    text = environment.get_template(f"{template}.txt").render(**context)
    html = environment.get_template(f"{template}.html").render(**context)
    return text, html


def _send(to: str, subject: str, template: str, **context: Any) -> None:
    text, html = render(template, subject=subject, **context)
    send_mail(to, subject, text, html)


def send_confirmation_email(user_id: int) -> bool:
    """Mail a confirmation link; False when there is nobody left to confirm."""
    user = db.session.get(User, user_id)
    if user is None or user.is_confirmed:
        log.info("confirmation mail skipped", extra={"user_id": user_id})
        return False
    token = accounts.issue_token(user, TokenPurpose.CONFIRM)
    # The token must exist before anyone can follow the link.
    db.session.commit()
    _send(
        user.email,
        "Confirm your email address",
        "confirm",
        user=user,
        link=links.external_url(links.CONFIRM_EMAIL_PATH.format(token=token)),
        hours=current_app.config["CONFIRM_TOKEN_HOURS"],
    )
    return True


def send_password_reset_email(user_id: int) -> bool:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        log.info("password reset mail skipped", extra={"user_id": user_id})
        return False
    token = accounts.issue_token(user, TokenPurpose.RESET)
    db.session.commit()
    _send(
        user.email,
        "Reset your password",
        "reset",
        user=user,
        link=links.external_url(links.RESET_PASSWORD_PATH.format(token=token)),
        hours=current_app.config["RESET_TOKEN_HOURS"],
    )
    return True


def send_account_exists_email(user_id: int) -> bool:
    """Tell an account's owner that someone tried to sign up again with their address."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        log.info("account exists mail skipped", extra={"user_id": user_id})
        return False
    _send(
        user.email,
        "You already have a Folio account",
        "account_exists",
        user=user,
        login_link=links.external_url(links.LOGIN_PATH),
        reset_link=links.external_url(links.RESET_REQUEST_PATH),
    )
    return True


def send_email_change_email(user_id: int, new_email: str) -> bool:
    """Mail the link that confirms `new_email` to that new address (proving the user owns it)."""
    user = db.session.get(User, user_id)
    new_email = accounts.normalise_email(new_email)
    if user is None or not user.active or user.email == new_email:
        log.info("email change mail skipped", extra={"user_id": user_id})
        return False
    token = accounts.issue_token(user, TokenPurpose.CHANGE_EMAIL, new_email=new_email)
    db.session.commit()
    _send(
        new_email,
        "Confirm your new email address",
        "change_email",
        user=user,
        new_email=new_email,
        link=links.external_url(links.CHANGE_EMAIL_PATH.format(token=token)),
        hours=current_app.config["CONFIRM_TOKEN_HOURS"],
    )
    return True


def notify_followers(post_id: int) -> int:
    """Enqueue one `folio.send_new_post_emails` per batch of followers; returns the batch count.

    The caller commits, which is when the batches are sent.
    """
    post = db.session.get(Post, post_id)
    if post is None or post.status != PostStatus.PUBLISHED:
        return 0
    batch_size = max(1, int(current_app.config["FANOUT_BATCH_SIZE"]))
    batches, after_id = 0, 0
    while batch := follows.follower_ids(post.author_id, after_id=after_id, limit=batch_size):
        enqueue("folio.send_new_post_emails", post_id, batch)
        batches += 1
        after_id = batch[-1]
    return batches


def send_new_post_emails(post_id: int, user_ids: Iterable[int]) -> int:
    """Tell each reader about a new post, at most once each; returns how many mails went out.

    The PostNotification row is written in the same transaction as the mail is sent: if sending
    fails, the row is rolled back and a retry mails that reader; if another worker got there
    first, the primary key refuses the row and this one moves on.
    """
    post = db.session.get(Post, post_id)
    if post is None or post.status != PostStatus.PUBLISHED:
        return 0
    author = post.author
    link = links.external_url(links.POST_PATH.format(slug=post.slug))
    title, slug = post.title, post.slug
    sent = 0
    for user_id in user_ids:
        if db.session.get(PostNotification, (post_id, user_id)) is not None:
            continue
        reader = db.session.get(User, user_id)
        if reader is None or not reader.active:
            continue
        db.session.add(PostNotification(post_id=post_id, user_id=user_id))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            continue
        try:
            _send(
                reader.email,
                f"New on Folio: {title}",
                "new_post",
                reader=reader,
                author=author,
                post=post,
                link=link,
            )
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        sent += 1
    log.info("new post mails sent", extra={"post_id": post_id, "slug": slug, "sent": sent})
    return sent
