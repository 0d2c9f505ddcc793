"""The minimal app for processes without views (worker, beat, migrations): config + db + queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from folio_common.breaker import Breaker, guarded_redis_connection
from folio_common.config import Settings
from folio_common.error_tracking import init_error_tracking
from folio_common.extensions import cache, db, migrate
from folio_common.logging import configure_logging
from folio_common.queue import queue

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def configure_app(
    app: Flask, settings: Settings | None = None, *, role: str = "web", **overrides: Any
) -> Settings:
    """Load settings into `app` and bind the shared extensions; used by every factory.

    `role` is "web" or "worker": they differ in how long one SQL statement may run.
    """
    settings = settings or Settings.from_env(instance_path=app.instance_path)
    app.instance_path = settings.instance_path
    app.config.from_mapping(settings.flask_config(role))
    app.config.update(overrides)
    app.extensions["folio.settings"] = settings
    if settings.folio_env == "development":
        # The default SQLite database and exports live here; containers use volumes instead.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging(app.config["LOG_LEVEL"])
    init_error_tracking(settings)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    if app.config["CACHE_TYPE"] == "RedisCache":
        # While the cache's Redis is away, pages skip it at once rather than wait on each call.
        app.config.setdefault(
            "CACHE_OPTIONS", {"connection_class": guarded_redis_connection(Breaker("cache"))}
        )
    cache.init_app(app)
    queue.init_app(app)

    from folio_common.cli import register_commands

    register_commands(app)
    return settings


def create_minimal_app(
    settings: Settings | None = None, *, role: str = "worker", **overrides: Any
) -> Flask:
    app = Flask("folio_common", instance_relative_config=True)
    configure_app(app, settings, role=role, **overrides)
    return app
