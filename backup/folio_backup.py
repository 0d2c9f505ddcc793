"""Folio's backups: a Postgres dump (custom format), the exports and media volumes, a manifest.

One backup is a folder `<backups>/<name>/` holding `db.dump`, `exports.tar.gz`, `media.tar.gz`
(uploaded images and their resized copies),
`manifest.json` (what, when, row counts, sizes, sha256 of each file) and `SHA256SUMS`
(`sha256sum -c` checks it by hand). Standard library only, plus pg_dump/pg_restore/psql.

    folio_backup.py create            make one now; prints its name last
    folio_backup.py list              the backups on the volume, newest first
    folio_backup.py restore NAME      replace the database, exports and media with NAME (--yes)
    folio_backup.py schedule          run forever: one backup a day at BACKUP_AT, then prune
    folio_backup.py healthcheck       exit 0 while `schedule`'s heartbeat is fresh (compose runs it)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

BACKUP_FILES = ("db.dump", "exports.tar.gz", "media.tar.gz")
NAME_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Settings:
    backup_dir: Path
    exports_dir: Path
    media_dir: Path
    keep_daily: int
    keep_weekly: int
    at: dt.time
    heartbeat: Path
    s3_url: str
    s3_region: str
    s3_access_key: str
    s3_secret_key: str

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
        hour, minute = (int(part) for part in env.get("BACKUP_AT", "03:00").split(":"))
        return cls(
            backup_dir=Path(env.get("BACKUP_DIR", "/var/lib/folio/backups")),
            exports_dir=Path(env.get("EXPORT_DIR", "/var/lib/folio/exports")),
            media_dir=Path(env.get("MEDIA_DIR", "/var/lib/folio/media")),
            keep_daily=int(env.get("BACKUP_KEEP_DAILY", "7")),
            keep_weekly=int(env.get("BACKUP_KEEP_WEEKLY", "4")),
            at=dt.time(hour, minute, tzinfo=dt.UTC),
            heartbeat=Path(env.get("BACKUP_HEARTBEAT_FILE", "/tmp/folio-backup.alive")),  # noqa: S108
            s3_url=env.get("BACKUP_S3_URL", ""),
            s3_region=env.get("BACKUP_S3_REGION", "us-east-1"),
            s3_access_key=env.get("BACKUP_S3_ACCESS_KEY", ""),
            s3_secret_key=_secret(env, "BACKUP_S3_SECRET_KEY"),
        )


def _secret(env: dict[str, str] | os._Environ[str], name: str) -> str:
    path = env.get(f"{name}_FILE", "")
    if path and Path(path).is_file():
        value = Path(path).read_text().strip()
        if value:
            return value
    return env.get(name, "")


def log(message: str) -> None:
    print(f"[backup] {message}", file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_env() -> dict[str, str]:
    """libpq's variables for the stack's database; the password from the secret when set."""
    env = dict(os.environ)
    env.setdefault("PGHOST", "db")
    env.setdefault("PGUSER", "folio")
    env.setdefault("PGDATABASE", "folio")
    password = _secret(os.environ, "PGPASSWORD")
    if password:
        env["PGPASSWORD"] = password
    return env


def psql(sql: str) -> str:
    return subprocess.run(  # noqa: S603 - psql from PATH, as in the image
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        env=pg_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def table_rows() -> dict[str, int]:
    """Exact row counts of every table in the public schema, for the manifest."""
    names = psql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    ).split()
    if not names:
        return {}
    # Names come from the catalog, not from a user, and are quoted as identifiers.
    query = "SELECT '{0}', count(*) FROM public.\"{0}\""
    counts = " UNION ALL ".join(query.format(name) for name in names)
    rows = {}
    for line in psql(counts).splitlines():
        name, count = line.split("|")
        rows[name] = int(count)
    return rows


@contextlib.contextmanager
def exclusive(settings: Settings) -> Iterator[None]:
    """One backup or restore at a time, whoever starts it (schedule, make backup, make restore)."""
    settings.backup_dir.mkdir(parents=True, exist_ok=True)
    with (settings.backup_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def create(settings: Settings, now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now(dt.UTC)
    name = now.strftime(NAME_FORMAT)
    with exclusive(settings):
        final = settings.backup_dir / name
        partial = settings.backup_dir / f".{name}.part"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        started = time.monotonic()
        # One snapshot: pg_dump reads the whole database in a single repeatable-read
        # transaction, so the dump is consistent while the site keeps running.
        subprocess.run(  # noqa: S603 - Postgres client tools from PATH, as in the image
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(partial / "db.dump")],
            env=pg_env(),
            check=True,
        )
        dump_seconds = time.monotonic() - started
        rows = table_rows()
        archive_folder(settings.exports_dir, partial / "exports.tar.gz")
        # Media files never change once written (named by their content): copying them after
        # the dump can only add files no row names yet, never miss one a row does.
        archive_folder(settings.media_dir, partial / "media.tar.gz")
        files = {
            file: {"bytes": (partial / file).stat().st_size, "sha256": sha256(partial / file)}
            for file in BACKUP_FILES
        }
        manifest = {
            "name": name,
            "created_at": now.isoformat(),
            "version": os.environ.get("FOLIO_VERSION", "unknown"),
            "database": pg_env()["PGDATABASE"],
            "dump_seconds": round(dump_seconds, 2),
            "tables": rows,
            "files": files,
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (partial / "SHA256SUMS").write_text(
            "".join(f"{entry['sha256']}  {file}\n" for file, entry in files.items())
        )
        partial.rename(final)
    log(f"{name}: db.dump {files['db.dump']['bytes']} bytes in {dump_seconds:.1f}s")
    if settings.s3_url:
        upload(settings, final)
    return final


def archive_folder(folder: Path, target: Path) -> None:
    with tarfile.open(target, "w:gz") as archive:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                # Half-written files are skipped: web and worker rename them when done.
                if path.is_file() and not path.name.endswith(".part"):
                    archive.add(path, arcname=str(path.relative_to(folder)))


def replace_folder(folder: Path, archive_path: Path) -> None:
    """Empty `folder` and unpack `archive_path` into it."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    with tarfile.open(archive_path, "r:gz") as archive:
        archive.extractall(folder, filter="data")


def file_count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def backups(settings: Settings) -> list[Path]:
    """Complete backups, newest first (names sort by time)."""
    if not settings.backup_dir.is_dir():
        return []
    found = [p for p in settings.backup_dir.iterdir() if (p / "manifest.json").is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def to_keep(names: Iterable[str], keep_daily: int, keep_weekly: int) -> set[str]:
    """The newest backup of each of the last `keep_daily` days and `keep_weekly` ISO weeks."""
    keep: set[str] = set()
    days: set[dt.date] = set()
    weeks: set[tuple[int, int]] = set()
    for name in sorted(names, reverse=True):
        when = dt.datetime.strptime(name, NAME_FORMAT).date()
        week = when.isocalendar()[:2]
        if when not in days and len(days) < keep_daily:
            days.add(when)
            keep.add(name)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(name)
    return keep


def prune(settings: Settings) -> list[str]:
    with exclusive(settings):
        present = [path.name for path in backups(settings)]
        keep = to_keep(present, settings.keep_daily, settings.keep_weekly)
        removed = [name for name in present if name not in keep]
        for name in removed:
            shutil.rmtree(settings.backup_dir / name)
            log(f"removed {name} (retention {settings.keep_daily}d/{settings.keep_weekly}w)")
    return removed


def verify(folder: Path) -> dict[str, object]:
    manifest = json.loads((folder / "manifest.json").read_text())
    for file, entry in manifest["files"].items():
        actual = sha256(folder / file)
        if actual != entry["sha256"]:
            raise SystemExit(f"{folder.name}/{file}: sha256 {actual} != manifest {entry['sha256']}")
    return manifest


def restore(settings: Settings, name: str, confirmed: bool) -> None:
    folder = settings.backup_dir / name
    if not (folder / "manifest.json").is_file():
        raise SystemExit(f"no backup named {name!r} in {settings.backup_dir}")
    manifest = verify(folder)
    current = table_rows()
    print(f"Backup {name} (made {manifest['created_at']}, checksums verified) would replace:")
    print(f"  database {pg_env()['PGDATABASE']}: {len(current)} tables, now holding")
    for table, count in sorted(current.items()):
        print(f"    {table}: {count} rows now -> {manifest['tables'].get(table, 0)} in the backup")
    print(f"  exports in {settings.exports_dir}: {file_count(settings.exports_dir)} files now")
    # Backups made before images existed have no media archive: media is then left as it is.
    has_media = "media.tar.gz" in manifest["files"]
    if has_media:
        print(f"  media in {settings.media_dir}: {file_count(settings.media_dir)} files now")
    if not confirmed:
        print("Nothing was changed. Run again with CONFIRM=yes (--yes) to restore.")
        return
    with exclusive(settings):
        subprocess.run(  # noqa: S603 - Postgres client tools from PATH, as in the image
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                pg_env()["PGDATABASE"],
                str(folder / "db.dump"),
            ],
            env=pg_env(),
            check=True,
        )
        replace_folder(settings.exports_dir, folder / "exports.tar.gz")
        if has_media:
            replace_folder(settings.media_dir, folder / "media.tar.gz")
    log(f"restored {name}")


def upload(settings: Settings, folder: Path) -> None:
    """Copy a backup to S3-compatible object storage (BACKUP_S3_URL = endpoint/bucket/prefix)."""
    for path in sorted(folder.iterdir()):
        url = f"{settings.s3_url.rstrip('/')}/{folder.name}/{path.name}"
        body = path.read_bytes()
        request = urllib.request.Request(url, data=body, method="PUT")  # noqa: S310
        for header, value in sign_s3(settings, "PUT", url, body).items():
            request.add_header(header, value)
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"PUT {url} answered {response.status}")
    log(f"copied {folder.name} to {settings.s3_url}")


def sign_s3(
    settings: Settings, method: str, url: str, body: bytes, now: dt.datetime | None = None
) -> dict[str, str]:
    """AWS Signature Version 4 headers for one request (path-style, no query string)."""
    now = now or dt.datetime.now(dt.UTC)
    parts = urllib.parse.urlsplit(url)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": parts.netloc, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            method,
            urllib.parse.quote(parts.path or "/", safe="/-_.~"),
            "",
            "".join(f"{key}:{headers[key]}\n" for key in sorted(headers)),
            signed,
            payload,
        ]
    )
    scope = f"{day}/{settings.s3_region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{settings.s3_secret_key}".encode()
    for part in (day, settings.s3_region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-date": stamp,
        "x-amz-content-sha256": payload,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={settings.s3_access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        ),
    }


def next_run(at: dt.time, now: dt.datetime) -> dt.datetime:
    candidate = dt.datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


HEARTBEAT_S = 30


def heartbeat(path: Path) -> None:
    while True:
        path.touch()
        time.sleep(HEARTBEAT_S)


def alive(path: Path) -> bool:
    """The heartbeat is younger than four beats: the schedule loop's process still runs."""
    try:
        return time.time() - path.stat().st_mtime < 4 * HEARTBEAT_S
    except OSError:
        return False


def schedule(settings: Settings) -> None:
    """The backup service's loop."""
    log(f"daily backups at {settings.at.strftime('%H:%M')} UTC into {settings.backup_dir}")
    # From a thread of its own, so that the healthcheck also passes while a long dump runs.
    threading.Thread(target=heartbeat, args=(settings.heartbeat,), daemon=True).start()
    due = next_run(settings.at, dt.datetime.now(dt.UTC))
    while True:
        if dt.datetime.now(dt.UTC) >= due:
            try:
                create(settings)
                prune(settings)
            except (subprocess.CalledProcessError, OSError, RuntimeError) as error:
                # Reported, and tried again tomorrow; the backup-age alert fires meanwhile.
                log(f"backup failed: {error}")
            due = next_run(settings.at, dt.datetime.now(dt.UTC))
        time.sleep(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="folio-backup")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create")
    commands.add_parser("list")
    commands.add_parser("prune")
    commands.add_parser("schedule")
    commands.add_parser("healthcheck")
    restore_parser = commands.add_parser("restore")
    restore_parser.add_argument("name")
    restore_parser.add_argument("--yes", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "create":
        folder = create(settings)
        prune(settings)
        print(folder.name)
    elif args.command == "list":
        for folder in backups(settings):
            print(folder.name)
    elif args.command == "prune":
        prune(settings)
    elif args.command == "restore":
        restore(settings, args.name, args.yes)
    elif args.command == "healthcheck":
        return 0 if alive(settings.heartbeat) else 1
    else:
        schedule(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
