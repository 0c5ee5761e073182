"""Crash safety and concurrent writers, with real subprocesses on both backends.

``feed.py`` pushes a JSONL of page records, articles (new stories, exact and near
duplicates, unchanged refetches) and extraction failures through the real
:class:`crawler.storage.writer.StorageWriter`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crawler.dedup.synthetic import Generator
from crawler.storage import db
from crawler.storage.tables import utcnow

from .conftest import rows, scalar

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

FEED = Path(__file__).with_name("feed.py")


def write_items(path: Path, n: int = 150) -> dict[str, int]:
    """The JSONL of the crash tests; returns what a complete run must contain."""
    gen = Generator(seed=11)
    articles = list(gen.stream(n, near_dup_ratio=0.15))
    lines: list[dict[str, Any]] = []

    def page(url: str) -> None:
        lines.append(
            {"kind": "page", "url": url, "status": 200, "fetched_at": utcnow().isoformat()}
        )

    exact = 0
    for i, a in enumerate(articles):
        page(a.url)
        item = {
            "url": a.url,
            "outlet": a.outlet,
            "title": a.title,
            "sapo": a.sapo,
            "body": a.body,
            "published_at": a.published_at,
        }
        lines.append({"kind": "article", **item})
        if i % 10 == 5:  # an exact copy on another outlet
            copy = dict(item, url=f"https://baocopy.vn/copy-{i}.html", outlet="baocopy.vn")
            page(copy["url"])
            lines.append({"kind": "article", **copy})
            exact += 1
        if i % 13 == 7:  # an unchanged refetch through a tracking URL
            again = dict(item, url=a.url + "?utm_source=zalo")
            page(again["url"])
            lines.append({"kind": "article", **again})
        if i % 17 == 3:
            bad = f"https://{a.outlet}/broken-{i}.html"
            page(bad)
            lines.append({"kind": "failure", "url": bad, "error": "ValueError: no body"})
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {
        "articles": len(articles) + exact,
        "exact": exact,
        "pages": sum(1 for line in lines if line["kind"] == "page"),
        "failures": sum(1 for line in lines if line["kind"] == "failure"),
    }


def feed(url: str, items: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(FEED), url, str(items), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"},
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything that must be identical after a crash and rerun and after a clean run."""
    articles = rows(
        engine,
        "SELECT a.canonical_url, a.version, a.body_hash, d.canonical_url AS dup, "
        "n.canonical_url AS near, a.near_similarity FROM articles a "
        "LEFT JOIN articles d ON d.id = a.duplicate_of "
        "LEFT JOIN articles n ON n.id = a.near_duplicate_of",
    )
    return {
        "articles": sorted(tuple(r) for r in articles),
        "versions": scalar(engine, "SELECT count(*) FROM article_versions"),
        "body_hashes": scalar(engine, "SELECT count(*) FROM body_hashes"),
        "signatures": scalar(engine, "SELECT count(*) FROM near_dup_signatures"),
        "buckets": scalar(engine, "SELECT count(*) FROM near_dup_buckets"),
        "outlets": scalar(engine, "SELECT count(*) FROM outlets"),
    }


def assert_consistent(engine: Engine) -> None:
    """No half-written article: every article has all its versions, hashes and index rows."""
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM articles a WHERE a.version <> "
            "(SELECT count(*) FROM article_versions v WHERE v.article_id = a.id)",
        )
        == 0
    )
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM articles a WHERE a.duplicate_of IS NULL "
            "AND a.body_hash IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM body_hashes h WHERE h.hash = a.body_hash)",
        )
        == 0
    )
    # Roots are indexed, duplicates are not.
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM articles a WHERE (a.duplicate_of IS NULL AND a.near_duplicate_of "
            "IS NULL) <> EXISTS (SELECT 1 FROM near_dup_signatures s WHERE s.article_id = a.id)",
        )
        == 0
    )
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM near_dup_signatures s WHERE "
            "(SELECT count(*) FROM near_dup_buckets b WHERE b.article_id = s.article_id) <> 32",
        )
        == 0
    )
    # Every article came from a page that points back at it.
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM pages p WHERE p.article_id = a.id)",
        )
        == 0
    )


def writer_processes(pid: int) -> set[int]:
    """Pids of the live ``multiprocessing`` workers whose parent is ``pid`` (Linux ``/proc``;
    the resource tracker ``spawn`` also starts is not one)."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and b"spawn_main" in cmdline:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_sigkill_mid_batch_then_rerun(mode: str, new_db: Callable[[], str], tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    expected = write_items(items)
    reference_url, crash_url = new_db(), new_db()
    extra = ["--thread"] if mode == "thread" else []

    clean = feed(reference_url, items, "--batch", "20", *extra)
    crashing = feed(crash_url, items, "--batch", "20", "--delay", "0.02", *extra)
    finish(clean)

    # Kill -9 once a few batches are committed: the next one is mid-transaction.
    assert crashing.stdout is not None
    committed = 0
    deadline = time.monotonic() + 90
    while committed < 60 and time.monotonic() < deadline:
        line = crashing.stdout.readline()
        assert line, crashing.stderr.read() if crashing.stderr else "feed ended early"
        if line.startswith("committed"):
            committed = int(line.split()[1])
    time.sleep(0.15)
    writers = writer_processes(crashing.pid)
    assert len(writers) == (1 if mode == "process" else 0)
    crashing.send_signal(signal.SIGKILL)
    crashing.wait(30)
    assert crashing.returncode == -signal.SIGKILL
    # The writer process dies with the crawl (mid-transaction: rolled back, like a thread).
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in writers)
    assert crashing.stdout and crashing.stderr
    crashing.stdout.close()
    crashing.stderr.close()

    engine = db.make_engine(crash_url)
    try:
        partial = scalar(engine, "SELECT count(*) FROM articles")
        assert 0 < partial < expected["articles"], "the kill must land before the end"
        assert_consistent(engine)
        assert scalar(engine, "SELECT status FROM crawl_runs") == "running"
        # Run again, to completion.
        finish(feed(crash_url, items, "--batch", "20", *extra))
        assert_consistent(engine)
        reference = db.make_engine(reference_url)
        try:
            assert_consistent(reference)
            got, want = snapshot(engine), snapshot(reference)
            assert got == want
            assert len(got["articles"]) == expected["articles"]
            assert got["versions"] == expected["articles"]
            assert sum(1 for a in got["articles"] if a[3] is not None) == expected["exact"]
            assert sum(1 for a in got["articles"] if a[4] is not None) >= 10
            # The rerun's own page rows are complete and resolved like the clean run's.
            last_run = scalar(engine, "SELECT max(id) FROM crawl_runs")
            outcomes = "SELECT outcome, count(*) FROM pages WHERE run_id = :r GROUP BY outcome"
            got_pages = dict(rows(engine, outcomes, r=last_run))
            want_pages = dict(rows(reference, outcomes, r=1))
            assert sum(want_pages.values()) == expected["pages"]
            assert want_pages["failed"] == expected["failures"]
            assert sum(got_pages.values()) == expected["pages"]
            assert got_pages["failed"] == expected["failures"]
            assert got_pages.get(None) is None and want_pages.get(None) is None
        finally:
            reference.dispose()
    finally:
        engine.dispose()


def test_two_concurrent_writers_leave_no_duplicates(
    new_db: Callable[[], str], tmp_path: Path
) -> None:
    items = tmp_path / "items.jsonl"
    expected = write_items(items, n=120)
    reversed_items = tmp_path / "reversed.jsonl"
    lines = items.read_text(encoding="utf-8").splitlines()
    # Same operations in the opposite order of articles (keeping page-before-item pairs).
    pairs = [lines[i : i + 2] for i in range(0, len(lines), 2)]
    reversed_items.write_text(
        "\n".join(line for pair in reversed(pairs) for line in pair) + "\n", encoding="utf-8"
    )
    url = new_db()
    db.make_engine(url).dispose()  # both start on a migrated schema
    first = feed(url, items, "--batch", "15")
    second = feed(url, reversed_items, "--batch", "15")
    finish(first)
    finish(second)
    engine = db.make_engine(url)
    try:
        assert_consistent(engine)
        assert scalar(engine, "SELECT count(*) FROM articles") == expected["articles"]
        assert scalar(engine, "SELECT count(*) FROM article_versions") == expected["articles"]
        # One original per body; every copy points at the body's owner.
        assert (
            scalar(
                engine,
                "SELECT count(*) FROM (SELECT body_hash FROM articles WHERE duplicate_of IS NULL "
                "GROUP BY body_hash HAVING count(*) > 1) t",
            )
            == 0
        )
        assert (
            scalar(
                engine,
                "SELECT count(*) FROM articles a JOIN body_hashes h ON h.hash = a.body_hash "
                "WHERE a.duplicate_of IS NOT NULL AND a.duplicate_of <> h.article_id",
            )
            == 0
        )
        assert (
            scalar(engine, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
            == (expected["exact"])
        )
        assert scalar(engine, "SELECT count(*) FROM crawl_runs WHERE status = 'finished'") == 2
    finally:
        engine.dispose()
