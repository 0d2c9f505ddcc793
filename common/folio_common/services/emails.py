"""The mails Folio sends: each function composes one kind of mail and sends it.

Called by worker tasks with ids. Each checks that the mail still makes sense (the user may have
been deleted or confirmed since the task was enqueued) and commits its own work, so a task retried
after a failure does not repeat what already happened. A mail is written in its recipient's
language (`User.locale`, stored at registration), from the same catalog as the web pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from flask import current_app
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import IntegrityError

from folio_common import i18n, links
from folio_common.extensions import db
from folio_common.i18n import N_
from folio_common.mail import send_mail
from folio_common.models import Post, PostNotification, PostStatus, TokenPurpose, User
from folio_common.queue import enqueue
from folio_common.services import accounts, follows

log = logging.getLogger("folio.emails")


@cache
def _environment(locale: str) -> Environment:
    """The mail templates in `locale`, one environment per language, built once per process.

    The web app and the worker have different template folders; mails live with common. The
    worker has no request for Flask-Babel to read a locale from, so the catalog is installed
    here, with the same new-style gettext (autoescaping, %(name)s) as the web's templates.
    """
    environment = Environment(
        loader=PackageLoader("folio_common", "templates/email"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return environment


def render(template: str, locale: str = i18n.DEFAULT_LOCALE, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of `template` (`<template>.txt` and `<template>.html`)."""
    environment = _environment(locale)
    text = environment.get_template(f"{template}.txt").render(locale=locale, **context)
    html = environment.get_template(f"{template}.html").render(locale=locale, **context)
    return text, html


def _send(
    to: User | str,
    subject: str,
    template: str,
    *,
    locale: str | None = None,
    subject_values: Mapping[str, object] | None = None,
    **context: Any,
) -> None:
    """Mail `template` to a user in their language (or to an address, in `locale`). The
    subject is a catalog msgid (marked N_), with `%(name)s` filled from `subject_values`."""
    address = to if isinstance(to, str) else to.email
    chosen = i18n.supported(locale or (None if isinstance(to, str) else to.locale))
    locale = chosen or i18n.DEFAULT_LOCALE
    subject = i18n.translations(locale).gettext(subject)
    if subject_values:
        subject %= subject_values
    text, html = render(template, locale, subject=subject, **context)
    send_mail(address, subject, text, html)


def _send_link(
    user_id: int,
    wanted: Callable[[User], bool],
    purpose: TokenPurpose,
    subject: str,
    template: str,
    path: str,
    hours: str,
) -> bool:
    """Mail `user_id` a one-use link for `purpose`; False when `wanted` says it no longer
    makes sense. `hours` names the setting that bounds the link's life."""
    user = db.session.get(User, user_id)
    if user is None or not wanted(user):
        log.info(f"{template} mail skipped", extra={"user_id": user_id})
        return False
    token = accounts.issue_token(user, purpose)
    # The token must exist before anyone can follow the link.
    db.session.commit()
    _send(
        user,
        subject,
        template,
        user=user,
        link=links.external_url(path.format(token=token)),
        hours=current_app.config[hours],
    )
    return True


def send_confirmation_email(user_id: int) -> bool:
    """Mail a confirmation link; False when there is nobody left to confirm."""
    return _send_link(
        user_id,
        lambda user: not user.is_confirmed,
        TokenPurpose.CONFIRM,
        N_("Confirm your email address"),
        "confirm",
        links.CONFIRM_EMAIL_PATH,
        "CONFIRM_TOKEN_HOURS",
    )


def send_password_reset_email(user_id: int) -> bool:
    return _send_link(
        user_id,
        lambda user: user.active,
        TokenPurpose.RESET,
        N_("Reset your password"),
        "reset",
        links.RESET_PASSWORD_PATH,
        "RESET_TOKEN_HOURS",
    )


def send_account_exists_email(user_id: int) -> bool:
    """Tell an account's owner that someone tried to sign up again with their address."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        log.info("account exists mail skipped", extra={"user_id": user_id})
        return False
    _send(
        user,
        N_("You already have a Folio account"),
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
        N_("Confirm your new email address"),
        "change_email",
        locale=user.locale,
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
                reader,
                N_("New on Folio: %(title)s"),
                "new_post",
                subject_values={"title": title},
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
