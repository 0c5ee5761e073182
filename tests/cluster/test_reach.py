"""``crawler archive verify`` on one machine of a cluster: it checks the WARC files it can
reach and says which ones other hosts wrote, without calling them missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawler.archive.writer import HttpExchange, WarcWriter
from crawler.storage import db
from crawler.storage.records import PageRecord
from crawler.storage.repository import Repository
from crawler.storage.runs import open_run

ROOT = Path(__file__).resolve().parents[2]


def _archive(data_dir: Path, local_missing: bool) -> None:
    """A database whose pages point at a file here, one written on another host (absent
    here) and, if asked, one this host wrote that is gone."""
    now = datetime.now(UTC)
    with WarcWriter(data_dir, prefix="here-worker") as warc:
        here = warc.write(HttpExchange("https://baohatinh.vn/a.html", 200, [], b"<html></html>"))
    engine = db.make_engine(f"sqlite:///{data_dir / 'archive.sqlite3'}")
    repo = Repository()
    try:
        with engine.begin() as conn:
            mine = open_run(conn, ["baohatinh"], "backfill", now, pid=1, host=socket.gethostname())
            other = open_run(conn, ["baohatinh"], "backfill", now, pid=2, host="worker-b")
            pages = [
                (PageRecord("https://baohatinh.vn/a.html", 200, now, here.file, here.offset,
                            here.length), mine),
                (PageRecord("https://baohatinh.vn/b.html", 200, now,
                            "warc/t-baohatinh-worker-b-00000.warc.gz", 0, 100), other),
                (PageRecord("https://baohatinh.vn/c.html", 200, now,
                            "warc/t-baohatinh-worker-b-00001.warc.gz", 0, 100), other),
            ]  # fmt: skip
            if local_missing:
                pages.append(
                    (
                        PageRecord(
                            "https://baohatinh.vn/d.html",
                            200,
                            now,
                            "warc/t-baohatinh-here-00009.warc.gz",
                            0,
                            100,
                        ),
                        mine,
                    )
                )
            for page, run in pages:
                repo.record_page(conn, page, run)
    finally:
        engine.dispose()


def _verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ARCHIVE_DATA_DIR=str(data_dir))
    env.pop("ARCHIVE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "archive", "verify"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_files_other_hosts_wrote_are_reported_not_reachable_not_missing(tmp_path: Path) -> None:
    _archive(tmp_path, local_missing=False)
    result = _verify(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not reachable from this machine: 2 records in 2 WARC files written on worker-b" in (
        result.stdout
    )
    assert "expected responses checked: 1" in result.stdout
    assert "missing: 0" in result.stdout


def test_a_file_this_host_wrote_is_still_missing(tmp_path: Path) -> None:
    _archive(tmp_path, local_missing=True)
    result = _verify(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "missing: 1" in result.stdout and "worker-b" in result.stdout
