"""Migrations only expand the schema, so the release still running keeps working on it.

`make deploy` and Swarm updates migrate first and replace the code after, and `make rollback`
never downgrades: for a while old code runs on the new schema. An `upgrade()` may therefore add
tables, columns (nullable or with a server default) and indexes, but not drop, rename or
tighten what the previous release reads or writes. Such a step is a "contract" migration: it
ships a release after the code stopped using the thing, and says so with a module-level
`CONTRACT = "<what stopped using it, and in which release>"` (docs/scale-out.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "common/folio_common/migrations/versions"
DESTRUCTIVE_CALLS = {
    "drop_table",
    "drop_column",
    "drop_constraint",
    "rename_table",
    "drop_table_comment",
    "drop_column_comment",
}
# alter_column arguments that break the previous release's reads or writes.
BREAKING_ALTERS = {"new_column_name", "type_", "existing_type_to"}
DESTRUCTIVE_SQL = ("DROP ", "RENAME ", "TRUNCATE ", "DELETE FROM ", "SET NOT NULL")


def destructive_steps(source: str) -> list[str]:
    """What `upgrade()` in a migration's source does that the running release may not survive."""
    tree = ast.parse(source)
    contract = any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "CONTRACT" for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and str(node.value.value).strip()
        for node in tree.body
    )
    if contract:
        return []
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    found = []
    for node in ast.walk(upgrade) if upgrade else []:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        keywords = {k.arg: k.value for k in node.keywords}
        if name in DESTRUCTIVE_CALLS:
            found.append(f"line {node.lineno}: {name}")
        elif name == "alter_column":
            nullable = keywords.get("nullable")
            if BREAKING_ALTERS & set(keywords):
                found.append(
                    f"line {node.lineno}: alter_column {sorted(BREAKING_ALTERS & set(keywords))}"
                )
            elif isinstance(nullable, ast.Constant) and nullable.value is False:
                found.append(f"line {node.lineno}: alter_column nullable=False")
        elif name == "add_column":
            column = next((a for a in node.args if isinstance(a, ast.Call)), None)
            column_keywords = {k.arg: k.value for k in column.keywords} if column else {}
            nullable = column_keywords.get("nullable")
            not_null = isinstance(nullable, ast.Constant) and nullable.value is False
            if not_null and "server_default" not in column_keywords:
                # The running code inserts rows without it: they would be refused.
                found.append(f"line {node.lineno}: add_column NOT NULL without server_default")
        elif name == "execute":
            text = ast.unparse(node).upper()
            found += [
                f"line {node.lineno}: execute {s.strip()}" for s in DESTRUCTIVE_SQL if s in text
            ]
    return found


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda p: p.stem)
def test_every_migration_only_expands_the_schema(path: Path) -> None:
    steps = destructive_steps(path.read_text())
    assert not steps, (
        f"{path.name} would break the release still running during a deploy: {steps}. "
        "Split it: expand now, contract a release later (docs/scale-out.md)."
    )


DROP_AND_RENAME = """
def upgrade():
    op.drop_column("posts", "summary")
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("email", new_column_name="mail")
"""

NOT_NULL_ADDED = """
def upgrade():
    op.add_column("posts", sa.Column("lang", sa.String(8), nullable=False))
    op.alter_column("posts", "title", nullable=False)
    op.execute("ALTER TABLE posts DROP COLUMN body")
"""

EXPANDING = """
def upgrade():
    op.add_column("posts", sa.Column("lang", sa.String(8), nullable=False, server_default="en"))
    op.add_column("posts", sa.Column("summary", sa.Text(), nullable=True))
    op.create_index("ix_posts_lang", "posts", ["lang"])

def downgrade():
    op.drop_column("posts", "lang")
"""


def test_dropping_or_renaming_a_column_is_caught() -> None:
    steps = destructive_steps(DROP_AND_RENAME)

    assert [s.split(": ", 1)[1] for s in steps] == [
        "drop_column",
        "alter_column ['new_column_name']",
    ]


def test_a_new_not_null_column_without_default_and_raw_drops_are_caught() -> None:
    steps = destructive_steps(NOT_NULL_ADDED)

    assert len(steps) == 3, steps


def test_additive_migrations_pass_and_downgrades_are_not_judged() -> None:
    assert destructive_steps(EXPANDING) == []


def test_a_declared_contract_migration_passes() -> None:
    source = 'CONTRACT = "posts.summary unread since 0.4"\n' + DROP_AND_RENAME

    assert destructive_steps(source) == []
