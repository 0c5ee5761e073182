"""Helpers of the shared-crawl tests: a Redis database and a PostgreSQL schema of their own.

Redis has 16 numbered databases and other test runs (or people) may use some: a test claims
one with a marker key (``SET NX``) in a database that holds nothing else, uses a key prefix of
its own in it too, and flushes it at the end. PostgreSQL: one fresh schema per test, dropped
afterwards (as in ``tests/storage/conftest.py``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import redis
from sqlalchemy import create_engine, text

REDIS_BASE = os.environ.get("ARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
PG_URL = os.environ.get(
    "ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLAIM_KEY = "archive-test:claimed-by"


@dataclass
class RedisDb:
    """A claimed Redis database: its URL, a client, and a key prefix of the test's own."""

    url: str
    client: redis.Redis
    prefix: str

    def release(self) -> None:
        """Empty the database (the claim goes with it)."""
        self.client.flushdb()
        self.client.close()


def claim_redis_db() -> RedisDb:
    """An empty Redis database (1–15) claimed for one test; RuntimeError if none is free."""
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}")
        if client.set(CLAIM_KEY, token, nx=True, ex=3600):
            if client.dbsize() == 1:
                return RedisDb(f"{REDIS_BASE}/{number}", client, f"t{token[:10]}")
            if client.get(CLAIM_KEY) == token.encode():
                client.delete(CLAIM_KEY)
        client.close()
    raise RuntimeError("no free Redis database (1-15) for the test")


def create_schema() -> tuple[str, str]:
    """A new PostgreSQL schema: ``(schema, SQLAlchemy URL using it)``."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return schema, f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    """Drop a schema made by :func:`create_schema`."""
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()
