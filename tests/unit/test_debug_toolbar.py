"""Flask-DebugToolbar is on in development with debug on, and in no other configuration."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flask import Flask

from folio_common.config import Settings
from tests.conftest import built_app, fast_env
from tests.unit.test_security_session_cookies import production_env

TOOLBAR_MARKUP = 'id="flDebugToolbar"'


def development_env(tmp_path: Path) -> dict[str, str]:
    return {
        "FOLIO_ENV": "development",
        "FOLIO_INSTANCE_PATH": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }


def has_toolbar(app: Flask) -> bool:
    return "debugtoolbar" in app.blueprints


def test_development_with_debug_injects_the_toolbar(tmp_path: Path) -> None:
    settings = Settings.from_env(development_env(tmp_path))
    with built_app(settings, DEBUG=True) as app:
        assert has_toolbar(app)
        page = app.test_client().get("/auth/login")
        assert page.status_code == 200
        assert TOOLBAR_MARKUP in page.get_data(as_text=True)
        # Redirects are not replaced by the toolbar's stop page.
        assert app.test_client().get("/account/").status_code == 302


def test_development_without_debug_has_no_toolbar(tmp_path: Path) -> None:
    settings = Settings.from_env(development_env(tmp_path))
    with built_app(settings, DEBUG=False) as app:
        assert not has_toolbar(app)
        assert TOOLBAR_MARKUP not in app.test_client().get("/auth/login").get_data(as_text=True)


def test_development_without_the_package_has_no_toolbar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The images install no dev dependencies: the app must start as if it were absent.
    monkeypatch.setitem(sys.modules, "flask_debugtoolbar", None)
    settings = Settings.from_env(development_env(tmp_path))
    with built_app(settings, DEBUG=True) as app:
        assert not has_toolbar(app)
        assert app.test_client().get("/auth/login").status_code == 200


@pytest.mark.parametrize("env", [fast_env, production_env], ids=["testing", "production"])
def test_testing_and_production_never_have_the_toolbar(tmp_path: Path, env) -> None:
    # Not even with debug forced on and the package installed, as it is here.
    settings = Settings.from_env(env(tmp_path))
    with built_app(settings, DEBUG=True) as app:
        assert not has_toolbar(app)
