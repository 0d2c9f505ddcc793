"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: its dependencies answer).

`/healthz` is answered by WSGI middleware in front of Flask: the container's health check and
the orchestrator ask every few seconds, and a probe that paid for the session, the user, CSRF,
metrics and a log line (about half of its cost) would only add load and noise. It still echoes
or makes an X-Request-ID, so a probe can be traced through nginx's log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from folio_common.extensions import db
from folio_common.logging import request_id_from
from folio_web.extensions import csrf, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
csrf.exempt(bp)
limiter.exempt(bp)


if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LIVENESS_PATH = "/healthz"
_ALIVE = b'{"status":"ok"}\n'


class Liveness:
    """Answers GET and HEAD `/healthz` with 200 before the app; passes everything else on."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != LIVENESS_PATH or method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(_ALIVE))),
                ("Cache-Control", "no-store"),
                ("X-Request-ID", request_id_from(environ.get("HTTP_X_REQUEST_ID"))),
            ],
        )
        return [b""] if method == "HEAD" else [_ALIVE]


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))


def _check_redis() -> None:
    url = current_app.config["REDIS_URL"]
    if url is None:
        return  # development without a broker: nothing to reach
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which and why
            log.warning("readiness check failed", extra={"check": name, "error": str(exc)})
            checks[name] = f"error: {type(exc).__name__}"
    db.session.rollback()
    failed = [name for name, state in checks.items() if state != "ok"]
    status = 503 if failed else 200
    return jsonify(status="fail" if failed else "ok", checks=checks, failed=failed), status
