"""The change log (``changes``) and export consumers' checkpoints (``export_consumers``).

Existing articles get their history as changes (a backfill): one row per
``article_versions`` row, "new" for version 1 and "version" after, in the order they were
seen, so a consumer's first pull of an existing archive exports every article.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_changes_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_changes_article_id"), "changes", ["article_id"], unique=False)
    op.create_index(op.f("ix_changes_recorded_at"), "changes", ["recorded_at"], unique=False)
    op.create_table(
        "export_consumers",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("last_change_id", sa.BigInteger(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pulls", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_export_consumers")),
    )
    op.execute(
        "INSERT INTO changes (article_id, kind, version, recorded_at) "
        "SELECT article_id, CASE WHEN version = 1 THEN 'new' ELSE 'version' END, version, "
        "created_at FROM article_versions ORDER BY created_at, id"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("export_consumers")
    op.drop_index(op.f("ix_changes_recorded_at"), table_name="changes")
    op.drop_index(op.f("ix_changes_article_id"), table_name="changes")
    op.drop_table("changes")
