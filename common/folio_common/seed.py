"""`flask seed`: idempotent demo content (authors, a reader, tagged posts, comments, follows)."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from folio_common.extensions import db
from folio_common.models import Post, PostStatus, Role, User, utcnow
from folio_common.services import accounts, comments, follows, posts

DEMO_PASSWORD = "folio-demo-password"  # noqa: S105 - published on purpose: demo accounts only

DEMO_USERS = [
    ("ada", "ada@example.com", Role.AUTHOR),
    ("grace", "grace@example.com", Role.AUTHOR),
    ("reader", "reader@example.com", Role.READER),
    ("admin", "admin@example.com", Role.ADMIN),
]

DEMO_POSTS = [
    (
        "ada",
        "Notes on the Analytical Engine",
        ["history", "computing"],
        "The engine *weaves algebraic patterns* just as the Jacquard loom weaves flowers.\n\n"
        "## Why it matters\n\nA machine that acts on symbols, not only numbers, can compose "
        "music of any complexity.",
    ),
    (
        "ada",
        "Bernoulli numbers, step by step",
        ["computing", "mathematics"],
        "A worked table of operations:\n\n| step | operation |\n|---|---|\n| 1 | multiply |\n"
        "| 2 | subtract |\n\n```\nV4 = V4 - V1\n```",
    ),
    (
        "grace",
        "Compilers make programmers faster",
        ["compilers", "computing"],
        "Writing in English-like statements lets more people program. "
        "The machine can do the translating.",
    ),
    (
        "grace",
        "A moth in relay 70",
        ["history", "debugging"],
        "First actual case of bug being found. We taped it into the log book.",
    ),
]

COMMENTS = [
    ("grace", "Notes on the Analytical Engine", "A lovely way to put it."),
    ("reader", "A moth in relay 70", "The most famous bug of all."),
]


def _ensure_user(username: str, email: str, role: Role) -> User:
    user = accounts.find_user(username)
    if user is None:
        user = accounts.register_user(
            username, email, DEMO_PASSWORD, role=role, confirmed=True, send_confirmation=False
        )
    return user


def seed_demo_content() -> dict[str, User]:
    users = {name: _ensure_user(name, email, role) for name, email, role in DEMO_USERS}
    for offset, (author, title, tags, body) in enumerate(DEMO_POSTS):
        exists = db.session.execute(select(Post.id).where(Post.title == title)).first()
        if exists:
            continue
        post = posts.create_post(users[author], title, body, tags=tags, status=PostStatus.DRAFT)
        # Published in the past, so the index has an order; no follower mails for demo data.
        post.status = PostStatus.PUBLISHED
        post.published_at = utcnow() - timedelta(days=len(DEMO_POSTS) - offset)
    db.session.flush()
    for author, title, body in COMMENTS:
        post = db.session.execute(select(Post).where(Post.title == title)).scalar_one()
        if not any(c.body == body for c in post.comments):
            comments.add_comment(post, users[author], body)
    for follower in ("reader", "grace"):
        follows.follow(users[follower], users["ada"])
    return users


@click.command("seed")
def seed_command() -> None:
    """Create demo authors, posts, comments and follows; running it again changes nothing."""
    seed_demo_content()
    db.session.commit()
    click.echo(f"Demo content is ready. Log in with any of these (password: {DEMO_PASSWORD}):")
    for username, _email, role in DEMO_USERS:
        click.echo(f"  {username:<8} {role.value}")
