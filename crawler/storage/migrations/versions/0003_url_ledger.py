"""The URL ledger (the frontier's memory), run liveness, and the outlets' crawl horizon.

* ``url_ledger``: one row per discovered URL with its state (see
  :class:`crawler.storage.models.LedgerUrl`). Filled here from what the archive already
  knows: every stored article's URL and every page URL that gave an article are ``stored``,
  404/410 pages ``gone``, failed extractions ``failed`` (due again half an hour after they
  were fetched), so an existing archive keeps not fetching what it has.
* ``pages.requested_url``: the ledger URL a response answers (before redirects).
* ``crawl_runs``: ``pid``, ``host`` and ``heartbeat_at``, so the next run can tell a run
  killed outright from one still going.
* ``outlets.crawl_horizon``: where incremental crawls of an outlet stop looking back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 5000
FAILED_RETRY_AFTER = timedelta(minutes=30)
STORED_OUTCOMES = ("stored", "duplicate", "updated", "unchanged")


NEW_COLUMNS: tuple[tuple[str, sa.Column[Any]], ...] = (
    ("outlets", sa.Column("crawl_horizon", sa.DateTime(timezone=True), nullable=True)),
    ("pages", sa.Column("requested_url", sa.Text(), nullable=True)),
    ("crawl_runs", sa.Column("pid", sa.Integer(), nullable=True)),
    ("crawl_runs", sa.Column("host", sa.String(length=255), nullable=True)),
    ("crawl_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)),
)


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD/DROP COLUMN (SQLite has both since 3.35): batch mode would copy the tables,
    # and dropping the referenced ``outlets`` fails with foreign keys on.
    for table, column in NEW_COLUMNS:
        op.add_column(table, column)
    ledger = op.create_table(
        "url_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("found_via", sa.String(length=16), nullable=True),
        sa.Column("found_on", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lastmod", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_hint", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_url_ledger_article_id_articles")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_url_ledger_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_url_ledger")),
        sa.UniqueConstraint("url", name=op.f("uq_url_ledger_url")),
    )
    op.create_index(
        "ix_url_ledger_due", "url_ledger", ["outlet", "state", "next_attempt_at"], unique=False
    )
    _backfill(ledger)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_url_ledger_due", table_name="url_ledger")
    op.drop_table("url_ledger")
    for table, column in reversed(NEW_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")


def _aware(value: Any) -> Any:
    # SQLite gives naive UTC datetimes back from raw SQL.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    return host


def _backfill(ledger: sa.Table) -> None:
    """Ledger rows for what the archive already holds (articles first, then pages)."""
    conn = op.get_bind()
    dialect = conn.dialect.name
    insert: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ledger)
    insert = insert.on_conflict_do_nothing(index_elements=["url"])
    articles = conn.execute(
        sa.text(
            "SELECT a.id, a.canonical_url, o.domain, a.first_seen, a.last_seen, a.published_at "
            "FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id ORDER BY a.id"
        )
    )
    rows: list[dict[str, Any]] = []
    for article_id, url, domain, first_seen, last_seen, published in articles:
        rows.append(
            _row(url, domain or _host(url), "stored", _aware(first_seen), _aware(last_seen))
            | {"article_id": article_id, "published_hint": _aware(published)}
        )
        if len(rows) >= CHUNK:
            conn.execute(insert, rows)
            rows = []
    pages = conn.execute(
        sa.text(
            "SELECT canonical_url, status, outcome, error, fetched_at, article_id FROM pages "
            "WHERE canonical_url IS NOT NULL ORDER BY id"
        )
    )
    for url, status, outcome, error, fetched_at, article_id in pages:
        fetched = _aware(fetched_at)
        if outcome in STORED_OUTCOMES:
            row = _row(url, _host(url), "stored", fetched, fetched) | {"article_id": article_id}
        elif outcome == "failed":
            row = _row(url, _host(url), "failed", fetched, fetched) | {
                "attempts": 1,
                "last_attempt_at": fetched,
                "next_attempt_at": fetched + FAILED_RETRY_AFTER,
                "last_status": status,
                "reason": error,
            }
        elif status in (404, 410):
            row = _row(url, _host(url), "gone", fetched, fetched) | {
                "last_status": status,
                "reason": f"HTTP {status}",
            }
        else:
            continue
        rows.append(row)
        if len(rows) >= CHUNK:
            conn.execute(insert, rows)
            rows = []
    if rows:
        conn.execute(insert, rows)


def _row(url: str, outlet: str, state: str, first: datetime, last: datetime) -> dict[str, Any]:
    return {
        "url": url,
        "outlet": outlet,
        "kind": "article",
        "state": state,
        "found_via": "migration",
        "found_on": None,
        "first_seen": first,
        "last_seen": last,
        "lastmod": None,
        "published_hint": None,
        "attempts": 0,
        "last_attempt_at": None,
        "next_attempt_at": None,
        "last_status": None,
        "reason": None,
        "stored_at": last if state == "stored" else None,
        "article_id": None,
        "run_id": None,
    }
