"""SQLite: the LSH bucket table becomes a WITHOUT ROWID table.

Every indexed article adds 32 rows with random bucket keys. As a rowid table each row went
into the table B-tree *and* the primary-key index; clustered on ``(bucket, article_id)`` it
goes into one B-tree, which is also what lookups read. PostgreSQL is unchanged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "near_dup_buckets"
INDEX = "ix_near_dup_buckets_article_id"


def _rebuild(with_rowid: bool) -> None:
    """Copy the buckets into a new table of the wanted kind, in key order, and swap it in."""
    op.create_table(
        f"{TABLE}_new",
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_near_dup_buckets_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bucket", "article_id", name=op.f("pk_near_dup_buckets")),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        f"INSERT INTO {TABLE}_new (bucket, article_id) "
        f"SELECT bucket, article_id FROM {TABLE} ORDER BY bucket, article_id"
    )
    op.drop_index(INDEX, table_name=TABLE)
    op.drop_table(TABLE)
    op.rename_table(f"{TABLE}_new", TABLE)
    op.create_index(INDEX, TABLE, ["article_id"], unique=False)


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=False)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=True)
