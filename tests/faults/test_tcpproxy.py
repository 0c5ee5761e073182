"""The TCP proxy against the real PostgreSQL (127.0.0.1:5432, database ``test``)."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.faults.tcpproxy import TcpProxy

if TYPE_CHECKING:
    from collections.abc import Iterator

PG = urlsplit(
    os.environ.get("ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)


def connect(proxy: TcpProxy, timeout: int = 5) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=proxy.host,
        port=proxy.port,
        user=PG.username or "postgres",
        dbname=PG.path.lstrip("/") or "test",
        connect_timeout=timeout,
        autocommit=True,
    )


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    with TcpProxy(PG.port or 5432, PG.hostname or "127.0.0.1") as running:
        yield running


def test_queries_pass_through(proxy: TcpProxy) -> None:
    with connect(proxy) as conn:
        assert conn.execute("select 41 + 1").fetchone() == (42,)
        assert proxy.connections_open == 1
    assert proxy.bytes_up > 0 and proxy.bytes_down > 0
    assert proxy.database_url() == f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test"


@pytest.mark.timeout(60)
def test_reset_breaks_open_connections_and_refuses_for_a_while(proxy: TcpProxy) -> None:
    conn = connect(proxy)
    try:
        assert conn.execute("select 1").fetchone() == (1,)
        assert proxy.reset(refuse_for=1.5) == 1
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")
        assert time.monotonic() - started < 5  # an error, promptly: not a hang
    finally:
        conn.close()
    with pytest.raises(psycopg.OperationalError):
        connect(proxy)  # refused while the outage lasts
    time.sleep(1.6)
    with connect(proxy) as again:
        assert again.execute("select 2").fetchone() == (2,)
    assert proxy.resets >= 2


@pytest.mark.timeout(60)
def test_blackhole_silences_and_restore_revives(proxy: TcpProxy) -> None:
    async def query_with_timeout() -> None:
        conn = await psycopg.AsyncConnection.connect(
            host=proxy.host,
            port=proxy.port,
            user=PG.username or "postgres",
            dbname=PG.path.lstrip("/") or "test",
            autocommit=True,
        )
        try:
            assert await (await conn.execute("select 1")).fetchone() == (1,)
            proxy.blackhole()
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(conn.execute("select 2"), timeout=1.0)
            # psycopg then tries to cancel the query over a new connection (silent as well)
            # and gives up after its own timeouts: slower than 1 s, but never a hang.
            assert 0.9 <= time.monotonic() - started < 30
        finally:
            proxy.reset()  # the silenced connection is dead weight
            await conn.close()

    asyncio.run(query_with_timeout())
    before = proxy.bytes_down
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        connect(proxy, timeout=2)  # accepted, but the server never answers
    assert time.monotonic() - started >= 1.5
    assert proxy.bytes_down == before  # nothing came back while silent
    proxy.restore()
    with connect(proxy) as conn:
        assert conn.execute("select 3").fetchone() == (3,)
