"""Learned boilerplate: text blocks recurring on many archived pages of one outlet.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "learned_boilerplate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_boilerplate")),
        sa.UniqueConstraint("outlet", "fingerprint", name=op.f("uq_learned_boilerplate_outlet")),
    )
    op.create_index(
        op.f("ix_learned_boilerplate_outlet"), "learned_boilerplate", ["outlet"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_learned_boilerplate_outlet"), table_name="learned_boilerplate")
    op.drop_table("learned_boilerplate")
