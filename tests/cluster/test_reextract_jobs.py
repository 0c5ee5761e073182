"""``crawler reextract --jobs N``: the same repair in N worker processes, records streamed in
file/offset order."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from crawler.archive.writer import HttpExchange, WarcWriter
from crawler.extraction import extract
from crawler.reextract import in_archive_order, reextract
from crawler.storage import db
from crawler.storage.records import PageRecord
from crawler.storage.repository import Repository

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _archive(data_dir: Path) -> int:
    """The fixture pages archived (two WARC files) and stored with a stale title, so that
    re-extraction changes every article; how many."""
    now = datetime.now(UTC)
    engine = db.make_engine(f"sqlite:///{data_dir / 'archive.sqlite3'}")
    repo = Repository()
    pages = sorted(FIXTURES.glob("*/*.html.gz"))
    try:
        with engine.begin() as conn:
            run = repo.open_run(conn, ["test"], "backfill", now)
        # Two files, the second written first in page-id order: the archive order differs.
        halves = (pages[len(pages) // 2 :], pages[: len(pages) // 2])
        for prefix, half in zip(("b", "a"), halves, strict=True):
            with WarcWriter(data_dir, prefix=prefix) as warc:
                ops = []
                for path in half:
                    url = json.loads(path.with_name(path.name[:-8] + ".json").read_text())["url"]
                    body = gzip.decompress(path.read_bytes())
                    where = warc.write(HttpExchange(url, 200, [], body))
                    item = extract(body, url)
                    item.title = f"stale {item.title}"
                    page = PageRecord(url, 200, now, where.file, where.offset, where.length)
                    ops += [("page", page, now), ("article", item, now)]
                with engine.begin() as conn:
                    repo.store_batch(conn, ops, run)
                repo.commit_caches()
    finally:
        engine.dispose()
    return len(pages)


def test_jobs_2_repairs_exactly_what_jobs_1_does_in_archive_order(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    count = _archive(one)
    shutil.copytree(one, two)
    results = {}
    for jobs, data_dir in ((1, one), (2, two)):
        engine = db.make_engine(f"sqlite:///{data_dir / 'archive.sqlite3'}")
        try:
            summary = reextract(engine, data_dir, force=True, jobs=jobs)
            with engine.connect() as conn:
                titles = {
                    u: t for u, t in conn.execute(text("SELECT canonical_url, title FROM articles"))
                }
        finally:
            engine.dispose()
        results[jobs] = (summary.to_json(), titles)
    summary, titles = results[2]
    assert count >= 20 and summary["examined"] == count
    assert summary["changed"] == count and summary["errors"] == summary["missing_warc"] == 0
    assert not any(t.startswith("stale ") for t in titles.values())
    assert {k: v for k, v in summary.items() if k != "run_id"} == {
        k: v for k, v in results[1][0].items() if k != "run_id"
    }
    assert titles == results[1][1]


def test_candidates_are_read_in_file_and_offset_order(tmp_path: Path) -> None:
    _archive(tmp_path)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    try:
        with engine.connect() as conn:
            from crawler.reextract import Candidate

            ids = [i for (i,) in conn.execute(text("SELECT id FROM pages ORDER BY id"))]
            ordered = in_archive_order(conn, [Candidate(i, None, None) for i in ids])
            where = dict(
                (i, (f, o))
                for i, f, o in conn.execute(text("SELECT id, warc_file, warc_offset FROM pages"))
            )
    finally:
        engine.dispose()
    places = [where[c.page_id] for c in ordered]
    assert places == sorted(places) and [c.page_id for c in ordered] != ids
