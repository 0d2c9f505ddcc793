"""Table shapes that more than one migration creates, each written once.

A migration that uses one runs it as it is now: change a shape only where every migration
using it still builds the same schema (a schema-only dump of a database migrated to head shows
it), and write a new function for a new shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from folio_common.models.base import UTCDateTime


def create_user_secret_table(
    table: str, columns: Sequence[sa.Column], unique: str, ended: str
) -> None:
    """A table of hashed secrets that belong to a user (the models' `_UserSecret`): id, user_id,
    `columns`, created_at, expires_at and `ended`; `unique` (the hash) unique; indexed by expiry
    and by user."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        *columns,
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(ended, UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(unique, name=op.f(f"uq_{table}_{unique}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_user_id"), ["user_id"], unique=False)


def drop_user_secret_table(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{table}_user_id"))
        batch_op.drop_index(batch_op.f(f"ix_{table}_expires_at"))
    op.drop_table(table)
