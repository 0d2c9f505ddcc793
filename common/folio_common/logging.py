"""JSON log lines with a request id that follows a request into the tasks it enqueues."""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger import json as jsonlogger

request_id_var: ContextVar[str | None] = ContextVar("folio_request_id", default=None)


# Accept a caller's request id only when it looks like one, so logs cannot be forged.
MAX_REQUEST_ID = 128


def current_request_id() -> str | None:
    return request_id_var.get()


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is a short printable string, else a new one."""
    candidate = (header or "").strip()
    if candidate and len(candidate) <= MAX_REQUEST_ID and candidate.isprintable():
        return candidate
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds the current request id (web request or task) to records that carry none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None) and (request_id := request_id_var.get()):
            record.request_id = request_id
        return True


class JsonFormatter(jsonlogger.JsonFormatter):
    """python-json-logger with Folio's field names: time (UTC), level, logger, message, then the
    request id and every `extra=` field."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )


def configure_logging(level: str = "INFO") -> None:
    """One JSON line per record on stderr, for every logger in the process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_folio", False):
            root.removeHandler(existing)
    handler._folio = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
