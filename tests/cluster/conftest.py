"""Fixtures of the shared-crawl tests (real Redis, real PostgreSQL; see cluster_testing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from cluster_testing import RedisDb, claim_redis_db, create_schema, drop_schema

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def redis_db() -> Iterator[RedisDb]:
    """A Redis database of the test's own, flushed afterwards."""
    db = claim_redis_db()
    try:
        yield db
    finally:
        db.release()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (its URL), dropped afterwards."""
    schema, url = create_schema()
    try:
        yield url
    finally:
        drop_schema(schema)
