"""Database faults mid-crawl, against the real PostgreSQL behind a TCP proxy.

The crawl reaches PostgreSQL only through :class:`tests.faults.tcpproxy.TcpProxy`, which the
test cuts (every connection reset, new ones refused) or silences (nothing forwarded, nothing
closed) while the crawl runs. Each test waits until articles are stored before the fault and
checks that more were stored after it, so the fault really hit the crawl in the middle.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crawl"))

from crawl_testing import ROOT, crawl_command, crawler_env, run_crawl

from crawler.extraction.dates import VIETNAM
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.runstatus import EXIT_CODES
from crawler.urls import canonicalize
from tests.faults.lock_holder import hold_lock
from tests.faults.tcpproxy import TcpProxy

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

PG_URL = os.environ.get(
    "ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OUTLETS = ("baohatinh", "baocantho")
ARGS = (*OUTLETS, "--since", "2019-01-01")
# Outages are short in tests; the writer and ledger reads wait them out within these bounds.
BOUNDS = {"ARCHIVE_DB_TIMEOUT": "3", "ARCHIVE_DB_OUTAGE_MAX": "40", "ARCHIVE_BATCH_SIZE": "20"}


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    admin = create_engine(PG_URL)
    name = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _direct(schema: str) -> Engine:
    return create_engine(_url(PG_URL, schema))


def _count(engine: Engine, sql: str) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # the tables may not exist yet
        return 0


def _stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT canonical_url FROM articles"))]


def _expected(corpus: Corpus) -> set[str]:
    since = datetime(2019, 1, 1, tzinfo=VIETNAM)
    return {canonicalize(e.url) for o in OUTLETS for e in corpus.entries(o) if e.published >= since}


def _start(
    tmp_path: Path, server: FakeOutletServer, url: str, **settings: str
) -> subprocess.Popen[str]:
    env = crawler_env(tmp_path, server.mirrors_json, ARCHIVE_DATABASE_URL=url)
    return subprocess.Popen(
        crawl_command(*ARGS, settings={**BOUNDS, **settings}),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(engine: Engine, articles: int, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        count = _count(engine, "SELECT count(*) FROM articles")
        if count >= articles:
            return count
        time.sleep(0.1)
    raise AssertionError("the crawl ended or stalled before the fault could hit it")


def _statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT status FROM crawl_runs ORDER BY id"))]


def test_an_outage_mid_crawl_pauses_it_and_nothing_is_lost(schema: str, tmp_path: Path) -> None:
    corpus = Corpus(articles_per_outlet=150, outlets=OUTLETS)
    direct = _direct(schema)
    try:
        with FakeOutletServer(corpus) as server, TcpProxy(5432) as proxy:
            process = _start(tmp_path, server, _url(proxy.database_url(), schema))
            before = _wait_for(direct, 30, process)
            resets = proxy.reset(refuse_for=8)  # connections cut, and refused for 8 s
            out, err = process.communicate(timeout=300)
        assert resets > 0 and before < len(_expected(corpus))
        assert process.returncode == 0, out + err[-4000:]
        assert "(status: finished;" in out
        assert "outage_retries" in err or "database unreachable" in err
        stored = _stored(direct)
        assert len(stored) == len(set(stored))
        assert set(stored) == _expected(corpus)
        assert _statuses(direct) == ["finished", "finished"]
    finally:
        direct.dispose()


def test_an_outage_longer_than_allowed_stops_the_crawl_and_the_rerun_heals(
    schema: str, tmp_path: Path
) -> None:
    corpus = Corpus(articles_per_outlet=150, outlets=OUTLETS)
    direct = _direct(schema)
    try:
        with FakeOutletServer(corpus) as server, TcpProxy(5432) as proxy:
            url = _url(proxy.database_url(), schema)
            process = _start(tmp_path, server, url, ARCHIVE_DB_OUTAGE_MAX="6")
            _wait_for(direct, 30, process)
            proxy.reset(refuse_for=120)
            started = time.monotonic()
            out, err = process.communicate(timeout=300)
            took = time.monotonic() - started
            # The run says it failed: never "finished", never exit 0.
            assert process.returncode == EXIT_CODES["failed"], out + err[-4000:]
            assert "(status: failed;" in out
            assert took < 120, f"stopping took {took:.0f} s"
            partial = set(_stored(direct))
            assert 0 < len(partial) < len(_expected(corpus))
            proxy.restore()
            again = run_crawl(
                tmp_path,
                server.mirrors_json,
                *ARGS,
                settings=BOUNDS,
                ARCHIVE_DATABASE_URL=url,
            )
        assert again.returncode == 0, again.stdout + again.stderr[-4000:]
        stored = _stored(direct)
        assert len(stored) == len(set(stored))
        assert set(stored) == _expected(corpus)
        # The failed run could not record its end (its database was gone): the next run marks
        # it as ended without closing.
        assert _statuses(direct)[-2:] == ["finished", "finished"]
        assert set(_statuses(direct)[:-2]) <= {"killed", "failed"}
    finally:
        direct.dispose()


def test_a_silent_database_neither_hangs_nor_loses_the_crawl(schema: str, tmp_path: Path) -> None:
    corpus = Corpus(articles_per_outlet=150, outlets=OUTLETS)
    direct = _direct(schema)
    try:
        with FakeOutletServer(corpus) as server, TcpProxy(5432) as proxy:
            process = _start(tmp_path, server, _url(proxy.database_url(), schema))
            _wait_for(direct, 30, process)
            proxy.blackhole()  # packets go nowhere, nothing is closed
            time.sleep(12)
            proxy.restore()
            out, err = process.communicate(timeout=300)
        assert process.returncode in (0, EXIT_CODES["partial"]), out + err[-4000:]
        stored = _stored(direct)
        assert len(stored) == len(set(stored))
        missing = _expected(corpus) - set(stored)
        if process.returncode == 0:
            assert not missing
        else:  # what the silence cost is due again: one more run stores it
            assert "(status: partial;" in out
    finally:
        direct.dispose()


def test_ctrl_c_ends_a_crawl_whose_database_went_silent(schema: str, tmp_path: Path) -> None:
    corpus = Corpus(articles_per_outlet=150, outlets=OUTLETS)
    direct = _direct(schema)
    try:
        with FakeOutletServer(corpus) as server, TcpProxy(5432) as proxy:
            url = _url(proxy.database_url(), schema)
            process = _start(tmp_path, server, url, ARCHIVE_DB_OUTAGE_MAX="300")
            _wait_for(direct, 30, process)
            proxy.blackhole()
            time.sleep(2)
            process.send_signal(signal.SIGINT)
            sent = time.monotonic()
            out, err = process.communicate(timeout=120)
            took = time.monotonic() - sent
            assert took < 90, f"Ctrl-C took {took:.0f} s"
            assert process.returncode == EXIT_CODES["interrupted"], out + err[-3000:]
            proxy.restore()
            again = run_crawl(
                tmp_path, server.mirrors_json, *ARGS, settings=BOUNDS, ARCHIVE_DATABASE_URL=url
            )
        assert again.returncode == 0, again.stdout + again.stderr[-4000:]
        stored = _stored(direct)
        assert len(stored) == len(set(stored))
        assert set(stored) == _expected(corpus)
    finally:
        direct.dispose()


def test_a_lock_left_by_a_dead_crawl_is_taken_over(schema: str, tmp_path: Path) -> None:
    direct_url = _url(PG_URL, schema)
    with TcpProxy(5432) as proxy:
        holder = hold_lock(_url(proxy.database_url(), schema))
        # The holder's machine "loses its network" and then the holder dies: PostgreSQL keeps
        # its session (and the lock) as long as the path stays silent.
        proxy.blackhole()
        os.kill(holder.pid, signal.SIGKILL)
        holder.communicate(timeout=30)
        corpus = Corpus(articles_per_outlet=10, outlets=("baohatinh",))
        with FakeOutletServer(corpus) as server:
            result = run_crawl(
                tmp_path,
                server.mirrors_json,
                "baohatinh",
                "--since",
                "2019-01-01",
                ARCHIVE_DATABASE_URL=direct_url,
            )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert f"held by pid {holder.pid}, which no longer runs" in result.stderr
    assert "another crawl holds the lock" not in result.stderr
