"""Engines from settings, SQLite tuning, and Alembic migrations run programmatically.

* The database is ``ARCHIVE_DATABASE_URL`` (see :func:`crawler.config.database_url`); by
  default a SQLite file under ``ARCHIVE_DATA_DIR``, which is created on demand.
* SQLite connections get ``journal_mode=WAL`` (readers never block the writer),
  ``synchronous=NORMAL`` (a committed transaction survives a killed process; only a power
  cut may lose the last commits), ``busy_timeout`` (a second writer waits instead of failing),
  ``foreign_keys=ON``, a 64 MiB page cache and a 40 MiB write-ahead log between
  checkpoints. Transactions start with ``BEGIN IMMEDIATE``:
  a writer takes the write lock up front, so two crawls on one file serialise cleanly instead
  of failing with "database is locked" when a read transaction tries to become a write one.
* :func:`upgrade` applies the migrations packaged in :mod:`crawler.storage.migrations`
  (located from this file, so it works from an installed package, whatever the working
  directory). :func:`engine_from_settings` and :func:`make_engine` apply them automatically on
  first use; concurrent first uses are serialised (SQLite write lock, PostgreSQL advisory
  lock), so two processes starting on an empty database do not race.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from crawler.config import data_dir, database_url

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""Alembic script directory (``env.py``, ``versions/``) inside the package."""

SQLITE_BUSY_TIMEOUT_MS = 60_000
"""How long a SQLite writer waits for another one's lock before failing."""

SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
"""WAL pages (about 40 MiB) after which SQLite copies the log back into the database.

The default, 1,000 pages, meant a checkpoint (a copy and two syncs) after nearly every batch:
one batch dirties over a thousand pages of the LSH bucket index at random. Checkpointing
ten times less often copies a page rewritten by several batches once: storing 40,000
synthetic articles ran about 15 % faster (507 → 588 articles/s, one run each)."""

SQLITE_CACHE_KIB = 64 * 1024
"""Page cache per SQLite connection (the LSH bucket index is large and written at random)."""

PG_MIGRATION_LOCK = 0x41524348  # "ARCH": pg_advisory_xact_lock key for migrations

DB_TIMEOUT = 30.0
"""Default of ``ARCHIVE_DB_TIMEOUT``: PostgreSQL connect timeout and the time after which a
connection whose peer went silent (packets dropped, no reset) counts as lost."""

_migrated: set[str] = set()
_migrated_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no ``alembic.ini``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


READ_ONLY = "archive_read_only"
"""Execution option of :func:`read_connection`: the transaction only reads."""


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        # A deferred transaction: one WAL snapshot and no write lock, so a long export or
        # report never holds up the crawl's writer.
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


SQLITE_READ_CACHE_KIB = 8 * 1024
"""Page cache of a :func:`read_connection` on SQLite: long scans gain nothing from the
writer's 64 MiB (the OS caches the file), and the sorter's memory is bounded by it."""


def read_connection(engine: Engine) -> Connection:
    """A connection whose transaction reads one consistent snapshot and takes no write lock:
    SQLite ``BEGIN`` (deferred) instead of ``BEGIN IMMEDIATE``; PostgreSQL ``REPEATABLE READ,
    READ ONLY``. Use it as a context manager.

    On SQLite it also bounds the reader's memory whatever the archive's size: a smaller page
    cache, and sorts (an export's ``ORDER BY``) that spill to a temporary file instead of
    memory. The connection keeps these settings in the pool (a reader's engine reads)."""
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    # On the driver's connection, before SQLAlchemy begins a transaction: SQLite refuses to
    # change the temporary storage inside one.
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA cache_size=-{SQLITE_READ_CACHE_KIB}")
    raw.execute("PRAGMA temp_store=FILE")
    return conn.execution_options(**{READ_ONLY: True})


def postgres_connect_args(timeout: float) -> dict[str, Any]:
    """libpq options that bound every wait on a PostgreSQL connection to about ``timeout``.

    ``connect_timeout`` for connecting; TCP keepalives probe an idle connection (a silent
    server is noticed while we wait for a reply); ``tcp_user_timeout`` drops a connection
    whose sent data stays unacknowledged (a black-holed network) — without these a lost
    connection can hang a crawl for hours."""
    seconds = max(1, round(timeout))
    return {
        "connect_timeout": seconds,
        "keepalives": 1,
        "keepalives_idle": max(1, seconds // 3),
        "keepalives_interval": max(1, seconds // 6),
        "keepalives_count": 3,
        "tcp_user_timeout": seconds * 1000,
    }


def make_engine(
    url: str,
    *,
    migrate: bool = True,
    timeout: float = DB_TIMEOUT,
    statement_timeout: float | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url``, tuned per backend, migrated to head unless ``migrate=False``.

    On PostgreSQL every connection gets :func:`postgres_connect_args` (``timeout``) and, when
    ``statement_timeout`` is given, that bound (seconds) on each statement."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        if parsed.get_backend_name() == "postgresql":
            connect_args = kwargs.setdefault("connect_args", {})
            for key, value in postgres_connect_args(timeout).items():
                connect_args.setdefault(key, value)
        engine = create_engine(url, **kwargs)
        if statement_timeout and parsed.get_backend_name() == "postgresql":
            milliseconds = int(statement_timeout * 1000)

            def bound_statements(dbapi_connection: Any, _record: Any) -> None:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute(f"SET statement_timeout = {milliseconds}")
                dbapi_connection.commit()

            event.listen(engine, "connect", bound_statements)
    if migrate:
        ensure_migrated(engine)
    return engine


def engine_from_settings(settings: BaseSettings, *, migrate: bool = True) -> Engine:
    """The archive's engine from ``ARCHIVE_DATABASE_URL`` / ``ARCHIVE_DATA_DIR``.

    Creates ``ARCHIVE_DATA_DIR`` (it also holds the WARC files) and migrates on first use.
    """
    data_dir(settings).mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    timeout = settings.getfloat("ARCHIVE_DB_TIMEOUT", DB_TIMEOUT)
    return make_engine(database_url(settings), migrate=migrate, timeout=timeout)  # type: ignore[arg-type]


def engine_in(data_directory: str, url: str, timeout: float = DB_TIMEOUT) -> Engine:
    """The storage writer's engine: :func:`make_engine` for ``url`` with network and statement
    timeouts of ``timeout`` seconds, after creating ``data_directory`` (which also holds the
    WARC files); a module-level function, so that ``functools.partial`` of it pickles."""
    Path(data_directory).mkdir(parents=True, exist_ok=True)
    return make_engine(url, timeout=timeout, statement_timeout=timeout)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` in one transaction, serialised between processes."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), revision)


def ensure_migrated(engine: Engine) -> None:
    """:func:`upgrade` to head once per process and database, skipped when already there."""
    key = engine.url.render_as_string(hide_password=False)
    with _migrated_lock:
        if key in _migrated:
            return
        if current_revision(engine) != head_revision():
            upgrade(engine)
        _migrated.add(key)
