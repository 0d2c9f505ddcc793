"""Production knows its public origin: every absolute link comes from SERVER_NAME, never from a
request's Host header, and the app refuses to start without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from folio_common.config import ConfigError, Settings
from tests.unit.test_security_session_cookies import production_env


def test_production_refuses_to_start_without_a_public_origin(tmp_path: Path):
    with pytest.raises(ConfigError, match="SERVER_NAME is required in production"):
        Settings.from_env(production_env(tmp_path, SERVER_NAME=None))


@pytest.mark.parametrize("value", ["https://folio.test", "folio.test/blog", "user@folio.test"])
def test_server_name_is_a_host_and_port_only(tmp_path: Path, value: str):
    with pytest.raises(ConfigError, match="SERVER_NAME is a host"):
        Settings.from_env(production_env(tmp_path, SERVER_NAME=value))


def test_development_may_leave_the_origin_to_the_request(tmp_path: Path):
    env = {"FOLIO_ENV": "development", "FOLIO_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(env).server_name is None
