"""What counts as a passing failure, and how tasks retry it: backoff for about eight minutes."""

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

# Waits of 5, 10, 20, 40, then 60 s: ten retries span 495 s, so a database or mail server away
# for five minutes costs no task. The cap stays under the broker's visibility timeout (120 s)
# less the hard time limit (55 s): a task held for its countdown is not redelivered meanwhile.
# No jitter: Celery's is "full" (anywhere from 0 to the wait), which would halve the budget.
RETRY_BACKOFF_FIRST = 5
RETRY_BACKOFF_MAX = 60
MAX_RETRIES = 10

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "dont_autoretry_for": PERMANENT_ERRORS,
    "retry_backoff": RETRY_BACKOFF_FIRST,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": False,
    "max_retries": MAX_RETRIES,
}


def retry_budget_seconds() -> int:
    """The total wait across every retry, as Celery computes it without jitter."""
    return sum(
        min(RETRY_BACKOFF_MAX, RETRY_BACKOFF_FIRST * 2**attempt) for attempt in range(MAX_RETRIES)
    )
