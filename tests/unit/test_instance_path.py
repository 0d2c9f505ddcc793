"""Where the instance folder is: FOLIO_INSTANCE_PATH when set (containers), else beside the app."""

from __future__ import annotations

from folio_common.app import create_minimal_app
from folio_common.config import Settings


def test_folio_instance_path_wins_over_the_default(tmp_path):
    settings = Settings.from_env(
        {"FOLIO_ENV": "test", "FOLIO_INSTANCE_PATH": str(tmp_path / "set")},
        instance_path=str(tmp_path / "default"),
    )
    assert settings.instance_path == str(tmp_path / "set")
    assert settings.database_url == f"sqlite:///{tmp_path / 'set' / 'folio.sqlite3'}"


def test_development_creates_the_folder_it_uses_and_no_other(tmp_path, monkeypatch):
    # Containers mount the source read-only; only FOLIO_INSTANCE_PATH (/tmp/folio) is writable.
    for name in ("DATABASE_URL", "REDIS_URL", "EXPORT_DIR", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FOLIO_ENV", "development")
    monkeypatch.setenv("FOLIO_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")

    app = create_minimal_app()

    assert app.instance_path == str(tmp_path / "instance")
    assert (tmp_path / "instance").is_dir()
    assert app.config["EXPORT_DIR"] == str(tmp_path / "instance" / "exports")
