"""web, worker and beat start only once the schema is one their code can run on."""

from __future__ import annotations

from pathlib import Path

import pytest

from folio_common import schema_gate
from folio_common.app import create_minimal_app
from folio_common.config import Settings
from tests.conftest import fast_env


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    env = fast_env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env(env, instance_path=str(tmp_path))


def stamp(settings: Settings, revision: str) -> None:
    """Record `revision` as applied, as `flask migrate` does when it finishes."""
    from sqlalchemy import text

    from folio_common.extensions import db

    with create_minimal_app(settings).app_context(), db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})


def test_an_unmigrated_database_keeps_the_process_waiting(database: Settings) -> None:
    with pytest.raises(SystemExit, match="gave up"):
        schema_gate.wait_for_schema(wait=0)


def test_a_migrated_database_lets_the_process_start(database: Settings) -> None:
    _, heads = schema_gate.known_revisions()
    stamp(database, next(iter(heads)))

    schema_gate.wait_for_schema(wait=0)


def test_old_code_runs_on_a_schema_a_newer_release_migrated() -> None:
    known, heads = schema_gate.known_revisions()

    assert schema_gate.schema_is_ready({"f0e1d2c3b4a5"}, known, heads)


def test_new_code_waits_while_the_schema_is_behind_it() -> None:
    known, heads = {"first", "second"}, {"second"}

    assert not schema_gate.schema_is_ready({"first"}, known, heads)
    assert schema_gate.schema_is_ready({"second"}, known, heads)
