"""Flask CLI commands shared by every process: create-admin, migrate, seed, rerender."""

from __future__ import annotations

import os
import time

import click
from flask import Flask
from flask.cli import with_appcontext

from folio_common.extensions import db

# Any fixed 64-bit number; every migrating process must use the same one.
MIGRATION_LOCK_KEY = 7_244_118_031


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option(
    "--password",
    envvar="FOLIO_ADMIN_PASSWORD",
    help="Defaults to $FOLIO_ADMIN_PASSWORD; prefer that to a flag, which shows in `ps`.",
)
def create_admin_command(username: str, email: str, password: str | None) -> None:
    """Create an admin account, confirmed and active, or promote an existing one. Idempotent."""
    from folio_common.services.accounts import AccountError, ensure_admin

    password = password or os.environ.get("FOLIO_ADMIN_PASSWORD")
    if not password:
        raise click.UsageError("give --password or set FOLIO_ADMIN_PASSWORD")
    try:
        user, created = ensure_admin(username=username, email=email, password=password)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{'created' if created else 'updated'} admin {user.username} (id {user.id})")


@click.command("migrate")
@click.option("--wait", default=60, show_default=True, help="Seconds to wait for the database.")
def migrate_command(wait: int) -> None:
    """Wait for the database, then upgrade it to the newest migration under an advisory lock.

    Safe to run from several containers at once: on Postgres the lock serialises them and the
    later ones find nothing left to do.
    """
    from flask_migrate import upgrade
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    deadline = time.monotonic() + wait
    while True:
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            break
        except OperationalError as exc:
            if "authentication failed" in str(exc):
                # Waiting cannot fix credentials, e.g. a new .env against an old data volume.
                raise click.ClickException(f"the database refused the credentials: {exc}") from exc
            if time.monotonic() >= deadline:
                raise click.ClickException(f"database not reachable after {wait}s: {exc}") from exc
            click.echo("waiting for the database…", err=True)
            time.sleep(1)

    if db.engine.dialect.name != "postgresql":
        upgrade()
        click.echo("database is up to date")
        return
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            upgrade()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
    click.echo("database is up to date")


@click.command("rerender")
@click.option("--batch-size", default=200, show_default=True, help="Rows per transaction.")
@click.option("--after-post", default=0, help="Resume after this post id.")
@click.option("--after-comment", default=0, help="Resume after this comment id.")
@with_appcontext
def rerender_command(batch_size: int, after_post: int, after_comment: int) -> None:
    """Render every post and comment's stored HTML again with the current Markdown rules.

    Run once after a release that changes them (docs/operations.md); the site stays up meanwhile
    and old rows show their previous HTML until their batch is done.
    """
    from folio_common.services.rendering import rerender_comments, rerender_posts

    for kind, rerender, after in (
        ("post", rerender_posts, after_post),
        ("comment", rerender_comments, after_comment),
    ):
        total = 0
        while True:
            batch = rerender(after, batch_size)
            db.session.commit()
            if batch.last_id is None:
                break
            total += batch.changed
            after = batch.last_id
            click.echo(f"{kind}s up to id {after}: {total} changed")
        click.echo(f"{kind}s done: {total} changed")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(migrate_command)
    app.cli.add_command(rerender_command)
    from folio_common.seed import seed_command

    app.cli.add_command(seed_command)
