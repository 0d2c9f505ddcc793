"""Folio's one way to send an email: to the log (`console`) or through an SMTP server (`smtp`).

Only the worker calls this; web requests enqueue a task instead, so a slow or failing mail
server never holds up a page.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

log = logging.getLogger("folio.mail")

# Seconds to wait on the SMTP server before the task gives up and retries later.
SMTP_TIMEOUT = 30


def build_message(to: str, subject: str, text: str, html: str | None, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    _, sender_address = parseaddr(sender)
    domain = sender_address.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one mail with the configured backend; SMTP errors propagate so the task retries."""
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    # Rejects header injection (newlines) and malformed addresses before anything goes out.
    Address(addr_spec=to)
    if config["MAIL_BACKEND"] == "console":
        # Developers copy confirmation links from here, so the whole mail goes into the log.
        log.info(
            "mail",
            extra={
                "mail_to": to,
                "mail_from": sender,
                "subject": subject,
                "text": text,
                "html": html,
            },
        )
        return
    message = build_message(to, subject, text, html, sender)
    with _smtp_session(SMTP_TIMEOUT) as smtp:
        smtp.send_message(message)
    log.info("mail sent", extra={"mail_to": to, "subject": subject})


def _smtp_session(timeout: float) -> smtplib.SMTP:
    """A connection to the configured server, after STARTTLS and log-in when configured."""
    config = current_app.config
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if config["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def delivery_problem(timeout: float = 5) -> str | None:
    """Why mail would not reach anyone right now, or None when the SMTP server accepts us.

    Checked once at start (the worker logs it as a warning): a misconfigured relay otherwise
    shows only when the first person waits for a confirmation mail that never comes.
    """
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        if config["FOLIO_ENV"] == "production":
            return "MAIL_BACKEND=console: mails are written to the log, never delivered"
        return None
    try:
        with _smtp_session(timeout) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return (
            f"the SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']} cannot be used: "
            f"{exc or type(exc).__name__}; set MAIL_SERVER and MAIL_PORT (see .env.example)"
        )
    return None
