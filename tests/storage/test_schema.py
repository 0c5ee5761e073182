"""Schema, migrations, engines and the ``crawler db`` command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from crawler.cli import main as cli_main
from crawler.config import load_settings
from crawler.storage import db
from crawler.storage.models import Base
from crawler.storage.repository import Repository
from crawler.storage.tables import ARTICLES

from .conftest import make_article, store

if TYPE_CHECKING:
    from pathlib import Path

TABLES = {
    "outlets",
    "crawl_runs",
    "articles",
    "article_versions",
    "pages",
    "body_hashes",
    "near_dup_signatures",
    "near_dup_buckets",
    "url_ledger",
    "changes",
    "export_consumers",
    "learned_boilerplate",
    "alembic_version",
}


def test_migrations_produce_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) == TABLES


def test_schema_is_migrated_on_first_use(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        assert db.current_revision(engine) == db.head_revision()
        assert set(inspect(engine).get_table_names()) == TABLES
        db.upgrade(engine)  # idempotent
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()


def test_unmigrated_engine_has_no_tables(db_url: str) -> None:
    engine = db.make_engine(db_url, migrate=False)
    try:
        assert db.current_revision(engine) is None
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_cli_db_upgrade_and_current(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["-s", f"ARCHIVE_DATABASE_URL={db_url}", "db", "current"]) == 0
    assert "revision none" in capsys.readouterr().out
    assert cli_main(["-s", f"ARCHIVE_DATABASE_URL={db_url}", "db", "upgrade"]) == 0
    assert f"at revision {db.head_revision()}" in capsys.readouterr().out
    assert cli_main(["-s", f"ARCHIVE_DATABASE_URL={db_url}", "db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_default_database_is_sqlite_wal_under_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    settings = load_settings([f"ARCHIVE_DATA_DIR={data}", "ARCHIVE_DATABASE_URL="])
    engine = db.engine_from_settings(settings)
    try:
        assert data.is_dir()
        assert (data / "archive.sqlite3").is_file()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


def test_times_are_stored_in_utc_and_read_back_aware(engine: Engine) -> None:
    repo = Repository()
    store(engine, repo, make_article("https://baohatinh.vn/a-post1.html"))
    with engine.connect() as conn:
        row = conn.execute(select(ARTICLES.c.published_at, ARTICLES.c.first_seen)).one()
    assert row.published_at.tzinfo is not None
    assert row.published_at.utcoffset() == timedelta(0)
    assert row.published_at == datetime(2025, 3, 12, 1, 30, tzinfo=UTC)
    assert row.published_at == datetime(2025, 3, 12, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    assert abs(datetime.now(UTC) - row.first_seen) < timedelta(minutes=5)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    from sqlalchemy.exc import StatementError

    from crawler.storage.tables import OUTLETS

    with pytest.raises(StatementError, match="naive datetime"), engine.begin() as conn:
        conn.execute(OUTLETS.insert().values(domain="x.vn", first_seen=datetime(2025, 1, 1)))
