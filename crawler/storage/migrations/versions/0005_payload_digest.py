"""``pages.payload_digest``: the WARC payload digest of each fetched response.

A re-fetch whose payload has the digest of the URL's previous capture is archived as a
``revisit`` record; the column lets a crawl know, from earlier crawls, which digest that was
(:mod:`crawler.archive.revisits`). Existing rows keep NULL: their first re-fetch is stored in
full.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pages", sa.Column("payload_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("payload_digest")
