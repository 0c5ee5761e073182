"""The crawl lock: one crawl per database, a second one exits 75 with a clear message."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from ops_testing import ROOT, crawler_env, database

from crawler.lock import EX_TEMPFAIL, DatabaseLock, LockHeldError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HOLDER = """
import sys, time
from crawler.lock import DatabaseLock
lock = DatabaseLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def _hold(url: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_second_crawl_is_refused_while_the_lock_is_held(db_url: str, tmp_path: Path) -> None:
    holder = _hold(db_url)
    try:
        # Mirrors to a closed port: even a crawl that wrongly started could not go online.
        env = crawler_env(tmp_path, '{"baohatinh.vn": "http://127.0.0.1:9"}')
        env["ARCHIVE_DATABASE_URL"] = db_url
        refused = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "baohatinh"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
        assert refused.returncode == EX_TEMPFAIL, refused.stderr[-2000:]
        assert "another crawl holds the lock on" in refused.stderr
        if db_url.startswith("sqlite"):
            assert f"pid {holder.pid}" in refused.stderr
        else:
            assert f"pid={holder.pid}" in refused.stderr or f"pid {holder.pid}" in refused.stderr
        with pytest.raises(LockHeldError):
            DatabaseLock(db_url).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)  # the lock dies with its process
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()
    lock = DatabaseLock(db_url)
    lock.acquire()
    assert lock.held
    lock.release()
    with DatabaseLock(db_url) as again:  # released means reusable
        assert again.held


def test_different_databases_do_not_share_a_lock(tmp_path: Path) -> None:
    with (
        DatabaseLock(f"sqlite:///{tmp_path / 'a.sqlite3'}"),
        DatabaseLock(f"sqlite:///{tmp_path / 'b.sqlite3'}") as other,
    ):
        assert other.held
