"""What counts as a passing failure, and how tasks retry it: backoff with jitter, five times."""

from __future__ import annotations

import smtplib
from typing import Any

from sqlalchemy.exc import OperationalError

# Network trouble with the mail server, the database or the disk: worth another try later.
# (ConnectionError, TimeoutError and SMTPException are all OSErrors, listed for the reader.)
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    TimeoutError,
    smtplib.SMTPException,
    OperationalError,
)

# A mail server that refuses the address will refuse it again; retrying only delays the log.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPRecipientsRefused,)

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "dont_autoretry_for": PERMANENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}
