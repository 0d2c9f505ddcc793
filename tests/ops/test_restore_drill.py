"""The restore drill: what a backup holds comes back, table by table and file by file.

Run by `make restore-drill` (scripts/restore-drill.sh) against a throwaway stack: seed, write
through nginx, back up with `make backup`, `down -v`, start empty, `make restore`, compare.
"""

from __future__ import annotations

import io
import subprocess
import uuid
from pathlib import Path

from PIL import Image as Pil

from tests.e2e.conftest import COMPOSE, Site, compose, log_in, wait_until
from tests.e2e.conftest import Account as E2EAccount
from tests.e2e.test_journey import publish, start_export, wait_for_export

ROOT = Path(__file__).resolve().parents[2]
ADA = E2EAccount(username="ada", email="ada@example.com", password="folio-demo-password")

# One line per table: name, row count, md5 of every row's text in a fixed order. The task log
# (job_runs) grows again once beat and the worker run after the restore, so only its rows up
# to JOB_RUNS_CUTOFF (the newest id at backup time) are compared.
TABLE_DIGESTS = r"""
DO $$
DECLARE t text; n bigint; h text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename LOOP
    EXECUTE format(
      'SELECT count(*), md5(coalesce(string_agg(r::text, E''\n'' ORDER BY r::text), '''')) '
      'FROM public.%I r WHERE %L <> ''job_runs'' OR (to_jsonb(r)->>''id'')::bigint <= %s',
      t, t, JOB_RUNS_CUTOFF) INTO n, h;
    RAISE NOTICE 'table % % %', t, n, h;
  END LOOP;
END $$;
"""


def max_job_run_id() -> int:
    result = compose(
        "exec", "-T", "db", "sh", "-c",
        'psql -X -q -At -U "$POSTGRES_USER" -d "$POSTGRES_DB" '
        '-c "SELECT coalesce(max(id), 0) FROM job_runs"',
    )  # fmt: skip
    return int(result.stdout.strip())


def table_digests(job_runs_cutoff: int = 2**62) -> dict[str, tuple[int, str]]:
    sql = TABLE_DIGESTS.replace("JOB_RUNS_CUTOFF", str(job_runs_cutoff))
    result = subprocess.run(
        [
            *COMPOSE,
            "exec",
            "-T",
            "db",
            "sh",
            "-c",
            'psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
        ],
        input=sql,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    digests = {}
    for line in result.stderr.splitlines():
        if "NOTICE:  table " in line:
            _, _, rest = line.partition("NOTICE:  table ")
            name, count, digest = rest.split()
            digests[name] = (int(count), digest)
    assert digests, result.stderr
    return digests


def volume_files(folder: str) -> dict[str, str]:
    """sha256 of every file under `folder` in the web container (the exports or media volume)."""
    result = compose(
        "exec", "-T", "web", "sh", "-c", f"cd {folder} && find . -type f -exec sha256sum {{}} +"
    )
    return {path: digest for digest, path in (line.split() for line in result.stdout.splitlines())}


def export_files() -> dict[str, str]:
    return volume_files("/var/lib/folio/exports")


def media_files() -> dict[str, str]:
    return volume_files("/var/lib/folio/media")


def a_photo() -> bytes:
    out = io.BytesIO()
    Pil.new("RGB", (1200, 800), (90, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


def make(*args: str) -> str:
    # On make's command line, STACK wins over the Makefile's own (compose.yaml alone).
    result = subprocess.run(
        ["make", "--no-print-directory", *args, f"STACK={' '.join(COMPOSE)}"],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"make {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_backup_restored_into_an_empty_stack_holds_every_row_and_file(tmp_path: Path) -> None:
    title = f"Before the backup {uuid.uuid4().hex[:6]}"
    with Site() as author:
        log_in(author, ADA)
        post_path = publish(author, title, "Kept **safe**.", tags="drill")
        commented = author.submit(
            post_path, {"body": "A comment to keep."}, action=f"{post_path}/comments"
        )
        assert commented.status_code == 200
        # An image, resized by the worker: the original and its copies are on the media volume.
        illustrated = author.submit(
            "/write",
            {"title": f"{title} (illustrated)", "body": "A field.", "status": "published"},
            files={"image": ("field.jpg", a_photo(), "image/jpeg")},
        )
        assert illustrated.status_code == 200 and "/posts/" in illustrated.url
        wait_until(
            lambda: "srcset=" in author.get(illustrated.url).text,
            timeout=60,
            what="the image's WebP copies",
        )
        wait_for_export(author, start_export(author))

    # Nothing may write while the reference is taken and the backup made: a task finishing in
    # between would change a row after it was counted. `make restore` starts them again.
    compose("stop", "beat", "worker")
    cutoff = max_job_run_id()
    before_tables, before_files, before_media = table_digests(), export_files(), media_files()
    assert before_tables["posts"][0] > 0 and before_tables["comments"][0] > 0
    assert before_files, "the export left no file on the volume"
    assert len(before_media) >= 4, f"expected an original and its WebP copies: {before_media}"

    name = make("backup", f"BACKUP_DIR={tmp_path}").strip().splitlines()[-1]
    assert (tmp_path / name / "manifest.json").is_file()

    compose("down", "-v", "--timeout", "30")
    # As `make up` starts a stack: the migration's exit is waited for on its own (scripts/up.sh).
    started = subprocess.run(
        ["scripts/up.sh", "180", *COMPOSE], cwd=ROOT, capture_output=True, text=True, timeout=400
    )
    assert started.returncode == 0, f"the fresh stack did not start:\n{started.stderr}"
    assert table_digests()["posts"][0] == 0, "the fresh stack is not empty"
    assert media_files() == {}, "the fresh stack has images"

    dry_run = make("restore", f"BACKUP_DIR={tmp_path}", f"BACKUP={name}")
    assert "Nothing was changed" in dry_run
    assert table_digests()["posts"][0] == 0

    make("restore", f"BACKUP_DIR={tmp_path}", f"BACKUP={name}", "CONFIRM=yes")

    assert table_digests(cutoff) == before_tables
    assert export_files() == before_files
    assert media_files() == before_media
    with Site() as reader:
        log_in(reader, ADA)
        post = wait_until(lambda: reader.get(post_path), timeout=30, what="the restored post")
        assert post.status_code == 200
        assert title in post.text and "A comment to keep." in post.text
