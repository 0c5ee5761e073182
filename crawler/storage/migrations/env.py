"""Alembic environment: runs on the connection handed over by :func:`crawler.storage.db.upgrade`.

There is no ``alembic.ini`` and no URL here: the caller passes an open connection in
``config.attributes["connection"]`` (already inside a transaction), so migrations run in that
transaction. Offline (SQL script) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from crawler.storage.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through crawler.storage.db.upgrade()")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; use `crawler db upgrade`")
run_migrations_online()
