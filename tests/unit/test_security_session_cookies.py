"""Session and remember-me cookies: HttpOnly and SameSite=Lax always, Secure in production;
and production refuses to start with a weak SECRET_KEY."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from folio_common.config import ConfigError, Settings
from tests.conftest import built_app
from tests.helpers import log_in
from tests.unit.auth.helpers import create_user

STRONG_SECRET = "Zq8v3L1pT9wX2mN7bR4kY6cJ0hF5sD8a-production-grade"


def production_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {
        "FOLIO_ENV": "production",
        "SECRET_KEY": STRONG_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "EXPORT_DIR": str(tmp_path / "exports"),
        "SERVER_NAME": "folio.test",
        "LOG_LEVEL": "WARNING",
    }
    env.update(changes)
    return {name: value for name, value in env.items() if value is not None}


@pytest.fixture
def production_app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings.from_env(production_env(tmp_path), instance_path=str(tmp_path))
    # Nothing here may need a Redis server: limits and cache stay in memory.
    with built_app(settings, RATELIMIT_STORAGE_URI="memory://", CACHE_TYPE="SimpleCache") as app:
        yield app


def set_cookie_header(response: TestResponse, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def log_in_remembered(client: FlaskClient, base_url: str) -> TestResponse:
    return log_in(
        client,
        "ada",
        remember=True,
        base_url=base_url,
        # Flask-WTF checks the referrer on HTTPS, as a browser would send it.
        headers={"Referer": f"{base_url}/auth/login"},
    )


def test_cookies_are_http_only_and_same_site_lax(app: Flask, client: FlaskClient):
    create_user(app, username="ada")

    response = log_in_remembered(client, "http://folio.test")

    assert response.status_code == 302
    for name in ("session", "remember_token"):
        flags = attributes(set_cookie_header(response, name))
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "secure" not in flags, "plain HTTP in development and tests"


def test_production_cookies_are_also_secure(production_app: Flask):
    create_user(production_app, username="ada")
    client = production_app.test_client()

    response = log_in_remembered(client, "https://folio.test")

    assert response.status_code == 302
    for name in ("session", "remember_token"):
        flags = attributes(set_cookie_header(response, name))
        assert {"secure", "httponly", "samesite=lax"} <= flags


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        "change-me",
        "CHANGEME",
        "secret",
        "short-but-not-a-placeholder",
        "x" * 31,
    ],
)
def test_production_refuses_a_missing_short_or_placeholder_secret(
    tmp_path: Path, secret: str | None
):
    env = production_env(tmp_path)
    if secret is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env(env, instance_path=str(tmp_path))


def test_production_accepts_a_strong_secret_from_a_file(tmp_path: Path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(STRONG_SECRET + "\n", encoding="utf-8")
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    env["SECRET_KEY_FILE"] = str(secret_file)

    settings = Settings.from_env(env, instance_path=str(tmp_path))

    assert settings.secret_key == STRONG_SECRET
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True


def test_an_empty_secret_file_leaves_the_variable_in_charge(tmp_path: Path):
    # compose.yaml mounts /dev/null as the secret when .env gives the key itself.
    env = production_env(tmp_path)
    env["SECRET_KEY_FILE"] = "/dev/null"

    settings = Settings.from_env(env, instance_path=str(tmp_path))

    assert settings.secret_key == env["SECRET_KEY"]


def test_an_empty_secret_file_and_no_variable_is_still_refused(tmp_path: Path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    env["SECRET_KEY_FILE"] = "/dev/null"

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env(env, instance_path=str(tmp_path))
