"""Start a process only once the database schema is one this code can run on.

    python -m folio_common.schema_gate [--wait SECONDS] -- gunicorn -c /app/gunicorn.conf.py ...

web, worker and beat start beside the one-shot `migrate` (Swarm has no start order, and Compose's
"wait until it exited" cannot be written in a stack file), so each waits here until the schema is
at this code's newest migration, or at one this code does not know: a newer release migrated
first, which the expand/contract rule in docs/scale-out.md makes safe for the code still running.
Then it replaces itself with the command.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def known_revisions() -> tuple[set[str], set[str]]:
    """(every revision this code ships, the newest ones)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return {rev.revision for rev in script.walk_revisions()}, set(script.get_heads())


def schema_is_ready(current: set[str], known: set[str], heads: set[str]) -> bool:
    """True when the database holds this code's heads, or revisions newer than this code."""
    if not current:
        return False
    return current == heads or not current <= known


def current_revisions() -> set[str]:
    # Settings and a bare engine only: the command this turns into imports the app itself, and
    # importing it twice doubled the time a restarted web took to listen on a busy host.
    from sqlalchemy import create_engine

    from folio_common.config import Settings

    engine = create_engine(Settings.from_env().sqlalchemy_database_uri, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def wait_for_schema(wait: float, interval: float = 1.0) -> None:
    known, heads = known_revisions()
    deadline = time.monotonic() + wait
    while True:
        try:
            current = current_revisions()
            problem = f"database at {sorted(current) or 'no revision'}, code at {sorted(heads)}"
        except Exception as exc:  # any failure to read it means "not yet"
            current, problem = set(), f"cannot read the schema revision: {exc}"
        if schema_is_ready(current, known, heads):
            return
        if time.monotonic() >= deadline:
            raise SystemExit(f"schema_gate: gave up after {wait:.0f}s: {problem}")
        print(f"schema_gate: waiting for migrations ({problem})", file=sys.stderr, flush=True)
        time.sleep(interval)


def main(argv: Sequence[str]) -> None:
    args = list(argv)
    wait = 120.0
    if args[:1] == ["--wait"]:
        wait, args = float(args[1]), args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        raise SystemExit("usage: python -m folio_common.schema_gate [--wait S] -- command ...")
    # As a container's PID 1, Python would ignore SIGTERM and make `docker stop` wait out the
    # whole grace period (170 s for the worker) while this waits.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wait_for_schema(wait)
    os.execvp(args[0], args)  # noqa: S606 - the container's own command line


if __name__ == "__main__":
    main(sys.argv[1:])
