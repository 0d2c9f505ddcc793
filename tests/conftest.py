"""Fixtures shared by every tier: `app`, `client`, `runner`, `auth`, and a fresh database.

The fast tier runs on a SQLite file per test with tasks eager and mail to the console;
tests/integration overrides `app_settings` to use real Postgres, Redis, worker and SMTP.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from folio_common import passwords
from folio_common.config import Settings
from folio_common.extensions import db
from folio_web import create_app
from tests.helpers import AuthActions

# The integration tier's services (PostgreSQL, Redis, SMTP, a worker) for any test that asks.
pytest_plugins = ["tests.integration.backend"]


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2's cheapest parameters in tests only: the production profile costs ~0.25 s a hash."""
    from argon2 import PasswordHasher, profiles

    original = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords._hasher = original


def fast_env(tmp_path: Path) -> dict[str, str]:
    """The fast tier's environment: a SQLite file under `tmp_path`, mail to the console."""
    return {
        "FOLIO_ENV": "test",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'folio.sqlite3'}",
        "EXPORT_DIR": str(tmp_path / "exports"),
        "MAIL_BACKEND": "console",
        "SERVER_NAME": "folio.test",
        "LOG_LEVEL": "WARNING",
    }


def marked_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """What `@pytest.mark.settings(NAME="value")` on a test, its class or its module (or in its
    `pytestmark`) adds to the app's environment; the nearest mark wins."""
    settings: dict[str, str] = {}
    for marker in reversed(list(request.node.iter_markers("settings"))):
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def app_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment the app is built from; override or extend it in a tier's conftest, or
    mark a module or test with `@pytest.mark.settings(...)`."""
    return {**fast_env(tmp_path), **marked_settings(request)}


@pytest.fixture
def app_overrides() -> dict[str, object]:
    """Flask config applied after the settings, e.g. {"WTF_CSRF_ENABLED": False}."""
    return {}


@contextmanager
def built_app(settings: Settings, **overrides: object) -> Iterator[Flask]:
    """The web app on `settings` with its tables created; they are dropped again on the way out."""
    app = create_app(settings, **overrides)
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture
def database() -> str:
    """What `app` runs on: "sqlite", or "postgres" for the integration tier's services.

    A module parametrizes it to run its tests on both (ON_BOTH_DATABASES, tests/unit/api).
    """
    return "sqlite"


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    database: str,
    app_env: dict[str, str],
    app_overrides: dict[str, object],
    tmp_path: Path,
) -> Iterator[Flask]:
    if database == "postgres":
        yield request.getfixturevalue("postgres_app")
        return
    settings = Settings.from_env(app_env, instance_path=str(tmp_path))
    with built_app(settings, **app_overrides) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that use services or factories directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str | None


@pytest.fixture
def outbox(caplog: pytest.LogCaptureFixture) -> Iterator[list[Mail]]:
    """Mails sent through the console backend, read back from its log lines."""
    caplog.set_level(logging.INFO, logger="folio.mail")
    mails: list[Mail] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "mail":
                mails.append(
                    Mail(record.mail_to, record.subject, record.text, record.html)  # type: ignore[attr-defined]
                )

    collector = Collector()
    logging.getLogger("folio.mail").addHandler(collector)
    yield mails
    logging.getLogger("folio.mail").removeHandler(collector)
