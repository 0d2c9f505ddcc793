"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: its dependencies answer)."""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from folio_common.extensions import db
from folio_web.extensions import csrf, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
csrf.exempt(bp)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


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
