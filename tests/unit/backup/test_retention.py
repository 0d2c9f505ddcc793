"""The backup tool's retention, naming and checksums (backup/folio_backup.py, standard library)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("folio_backup", ROOT / "backup" / "folio_backup.py")
assert _spec and _spec.loader
folio_backup = importlib.util.module_from_spec(_spec)
sys.modules["folio_backup"] = folio_backup
_spec.loader.exec_module(folio_backup)


def names(start: dt.datetime, count: int, step: dt.timedelta) -> list[str]:
    return [(start + i * step).strftime(folio_backup.NAME_FORMAT) for i in range(count)]


def test_daily_backups_keep_seven_days_and_four_weeks() -> None:
    daily = names(dt.datetime(2026, 9, 1, 3, 0), 60, dt.timedelta(days=1))

    kept = folio_backup.to_keep(daily, keep_daily=7, keep_weekly=4)

    newest_days = set(daily[-7:])
    assert newest_days <= kept
    weeks = {dt.datetime.strptime(n, folio_backup.NAME_FORMAT).isocalendar()[:2] for n in kept}
    assert len(weeks) == 4
    assert len(kept) == 7 + 2  # the last 7 days span 2 ISO weeks; 2 more weeks add one each


def test_several_backups_a_day_keep_the_newest_of_each_day() -> None:
    today = names(dt.datetime(2026, 11, 30, 1, 0), 5, dt.timedelta(hours=2))

    kept = folio_backup.to_keep(today, keep_daily=7, keep_weekly=4)

    assert kept == {today[-1]}


def test_nothing_is_kept_with_zero_retention() -> None:
    assert (
        folio_backup.to_keep(names(dt.datetime(2026, 1, 1), 3, dt.timedelta(days=1)), 0, 0) == set()
    )


def test_the_next_run_is_today_when_the_time_is_ahead_else_tomorrow() -> None:
    at = dt.time(3, 0, tzinfo=dt.UTC)
    early = dt.datetime(2026, 11, 30, 2, 59, tzinfo=dt.UTC)
    late = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)

    assert folio_backup.next_run(at, early) == dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
    assert folio_backup.next_run(at, late) == dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


def test_a_corrupted_file_fails_verification(tmp_path: Path) -> None:
    folder = tmp_path / "20261130T030000Z"
    folder.mkdir()
    (folder / "db.dump").write_bytes(b"dump")
    manifest = {
        "files": {"db.dump": {"bytes": 4, "sha256": folio_backup.sha256(folder / "db.dump")}}
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert folio_backup.verify(folder) == manifest

    (folder / "db.dump").write_bytes(b"dumq")

    with pytest.raises(SystemExit, match="sha256"):
        folio_backup.verify(folder)


def test_prune_removes_only_what_retention_drops(tmp_path: Path) -> None:
    settings = folio_backup.Settings.from_env(
        {"BACKUP_DIR": str(tmp_path), "BACKUP_KEEP_DAILY": "2", "BACKUP_KEEP_WEEKLY": "0"}
    )
    made = names(dt.datetime(2026, 11, 26, 3, 0), 4, dt.timedelta(days=1))
    for name in made:
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
    (tmp_path / ".20261130T030000Z.part").mkdir()  # unfinished: never counted, never removed

    removed = folio_backup.prune(settings)

    assert sorted(removed) == made[:2]
    assert sorted(p.name for p in folio_backup.backups(settings)) == made[2:]
    assert (tmp_path / ".20261130T030000Z.part").is_dir()


def test_the_healthcheck_passes_while_the_heartbeat_is_fresh(tmp_path: Path, monkeypatch) -> None:
    heartbeat = tmp_path / "alive"
    monkeypatch.setenv("BACKUP_HEARTBEAT_FILE", str(heartbeat))
    assert folio_backup.main(["healthcheck"]) == 1

    heartbeat.touch()
    assert folio_backup.main(["healthcheck"]) == 0

    stale = heartbeat.stat().st_mtime - 4 * folio_backup.HEARTBEAT_S - 1
    os.utime(heartbeat, (stale, stale))
    assert folio_backup.main(["healthcheck"]) == 1
