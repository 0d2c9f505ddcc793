"""Folio's web application: `create_app()` builds it in named steps."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from folio_common.app import configure_app
from folio_common.breaker import Breaker, guard_connects
from folio_common.config import Settings
from folio_common.extensions import db
from folio_common.logging import request_id_from, request_id_var
from folio_web import devtools, health, metrics
from folio_web.extensions import csrf, limiter, login_manager

request_log = logging.getLogger("folio.request")


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    configure_app(app, settings, **overrides)
    guard_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    metrics.init_app(app)
    register_template_helpers(app)
    register_shell_context(app)
    devtools.init_app(app)
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_HOPS"],
            x_proto=app.config["PROXY_HOPS"],
            x_host=app.config["PROXY_HOPS"],
        )
    # Outermost: a liveness probe needs neither ProxyFix nor any of Flask's hooks.
    app.wsgi_app = health.Liveness(app.wsgi_app)  # type: ignore[method-assign]
    return app


def guard_database(app: Flask) -> None:
    """While the database is away, requests answer 503 at once instead of each waiting out the
    connect timeout (folio_common.breaker)."""
    with app.app_context():
        for engine in db.engines.values():
            guard_connects(engine, Breaker("database"))


def register_extensions(app: Flask) -> None:
    import folio_web.security  # noqa: F401 - registers the user loader
    from folio_web import edge_cache, i18n, images, json_limits

    i18n.init_app(app)
    images.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    # Before the limiter, so its response hook runs after the limiter's (see edge_cache).
    edge_cache.init_app(app)
    limiter.init_app(app)
    json_limits.init_app(app)


def register_blueprints(app: Flask) -> None:
    from folio_web.errors import register_error_handlers
    from folio_web.health import bp as health_bp

    app.register_blueprint(health_bp)
    for module_name in _FEATURE_BLUEPRINTS:
        module = __import__(f"folio_web.{module_name}", fromlist=["bp"])
        app.register_blueprint(module.bp)
    from folio_web.api import init_api

    init_api(app)
    # After the API: the app's handler for HTTPException replaces flask-smorest's, and answers
    # problem+json on /api/ paths itself.
    register_error_handlers(app)


# Feature blueprints, each a package exposing `bp`; registered in this order.
_FEATURE_BLUEPRINTS: tuple[str, ...] = ("auth", "account", "exports", "blog", "editor", "admin")


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get("X-Request-ID"))
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("request_started")
        # Only a user this request already loaded: logging must not query a database that may
        # be the reason this response is an error. The id alone: get_id() also carries the
        # browser's log-in key, which logs must not hold.
        user = g.get("_login_user")
        user_id = user.id if user is not None and not user.is_anonymous else None
        request_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started
                else None,
                "remote_addr": request.remote_addr,
                "user_id": user_id,
                "bytes": response.calculate_content_length(),
            },
        )
        return response

    @app.after_request
    def keep_private_pages_private(response: Response) -> Response:
        # A signed-in user's pages show their own data (account, exports, drafts, their name and
        # CSRF token in every page): no browser cache, proxy or back-forward cache may keep them.
        # The user this request loaded, if any: no query, so error answers stay query-free.
        user = g.get("_login_user")
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def end_request(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)


def register_template_helpers(app: Flask) -> None:
    from folio_web.templating import register

    register(app)


def register_shell_context(app: Flask) -> None:
    from folio_common import models

    @app.shell_context_processor
    def shell_context() -> dict[str, object]:
        return {"db": db, "models": models}
