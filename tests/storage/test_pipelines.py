"""The Scrapy side: normalisation, the writer, backpressure and a real crawl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.items import Article
from crawler.storage import db
from crawler.storage.records import PageRecord
from crawler.storage.tables import utcnow
from crawler.storage.writer import StorageWriter
from pipelines.normalize import NormalizePipeline
from pipelines.pages import warc_location

from .conftest import BODY, make_article, rows, scalar

if TYPE_CHECKING:
    from sqlalchemy import Engine

CRAWL = Path(__file__).with_name("crawl.py")


def test_normalize_pipeline() -> None:
    item = Article(
        url="https://m.baohatinh.vn/a-post1.html?fbclid=1",
        canonical_url="https://www.baohatinh.vn/real-post1.html?utm_campaign=x#c",
        title="  Tie\u0302\u0301u  đề\u00a0mới ",
        body=" Đoạn  một \n\n\u200b\nĐoạn hai ",
        authors=["Nguye\u0302\u0303n A"],
        images=[{"url": "https://baohatinh.vn/i.jpg", "caption": "A\u0300nh"}],
    )
    out = NormalizePipeline().process_item(item)
    assert out.canonical_url == "https://baohatinh.vn/real-post1.html"
    assert out.url == "https://m.baohatinh.vn/a-post1.html?fbclid=1"  # the fetched URL stays
    assert out.outlet == "baohatinh.vn"
    assert out.title == "Tiếu đề mới"
    assert out.body == "Đoạn một\nĐoạn hai"
    assert out.authors == ["Nguyễn A"]
    assert out.images[0]["caption"] == "Ành"
    foreign = NormalizePipeline().process_item(
        Article(url="https://baonghean.vn/x-post2.html", canonical_url="https://vnexpress.net/y")
    )
    assert foreign.canonical_url == "https://baonghean.vn/x-post2.html"
    other = {"not": "an article"}
    assert NormalizePipeline().process_item(other) is other


def test_warc_location_from_meta() -> None:
    assert warc_location({"warc": {"file": "w/1.warc.gz", "offset": 10, "length": 20}}) == (
        "w/1.warc.gz",
        10,
        20,
    )
    assert warc_location({}) == (None, None, None)
    assert warc_location({"warc": "junk"}) == (None, None, None)


def test_writer_batches_flushes_and_closes_the_run(db_url: str) -> None:
    commits: list[int] = []
    writer = StorageWriter(
        lambda: db.make_engine(db_url),
        batch_size=3,
        spiders=["baohatinh"],
        mode="incremental",
        on_commit=commits.append,
    )
    # Nothing is written before start: the queue only grows (no I/O on the caller's thread).
    for i in range(7):
        url = f"https://baohatinh.vn/p-post{i}.html"
        writer.submit("page", PageRecord(url=url, status=200, fetched_at=utcnow()))
        writer.submit("article", make_article(url, body=BODY + f"\nPhần {i}"))
    assert writer.queue.qsize() == 14
    assert writer.full()
    writer.start()
    assert writer.flush(60)
    assert sum(commits) == 14
    assert commits == [6, 6, 2]  # 3 items (and their pages) per transaction
    writer.close("finished", {"item_scraped_count": 7, "start_time": utcnow()})
    engine = db.make_engine(db_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM articles") == 7
        (run,) = rows(engine, "SELECT status, finished_at, spiders, mode, stats FROM crawl_runs")
        assert run.status == "finished" and run.finished_at is not None
        stats = run.stats if isinstance(run.stats, dict) else json.loads(run.stats)
        spiders = run.spiders if isinstance(run.spiders, list) else json.loads(run.spiders)
        assert spiders == ["baohatinh"] and run.mode == "incremental"
        assert stats["item_scraped_count"] == 7
        assert stats["archive/store/stored"] + stats["archive/store/duplicate"] == 7
        assert stats["archive/store/pages"] == 7
    finally:
        engine.dispose()


def test_writer_waits_for_room_and_survives_a_bad_item(db_url: str) -> None:
    writer = StorageWriter(lambda: db.make_engine(db_url), batch_size=2, queue_size=2)
    writer.submit("article", make_article("https://baohatinh.vn/ok-post1.html"))
    writer.submit("article", Article(url="not a url"))  # fails alone, the rest is kept
    writer.submit("article", make_article("https://baohatinh.vn/ok-post2.html", body="Khác hẳn."))
    assert writer.full()
    writer.start()
    assert writer.wait_for_room(60)
    writer.close()
    assert writer.counts["errors"] == 1
    assert writer.counts["stored"] + writer.counts["duplicate"] == 2
    engine = db.make_engine(db_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM articles") == 2
    finally:
        engine.dispose()


def test_real_crawl_records_pages_runs_and_outcomes(db_url: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(CRAWL), db_url, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert result["warnings"] == []
    assert "Traceback" not in proc.stderr, proc.stderr
    engine: Engine = db.make_engine(db_url)
    try:
        pages = rows(
            engine,
            "SELECT url, status, outcome, error, warc_file, warc_offset, warc_length, run_id, "
            "article_id FROM pages ORDER BY id",
        )
        assert len(pages) == 5
        assert all(p.warc_file == "warc/test-00001.warc.gz" for p in pages)
        assert all(p.warc_offset is not None and p.warc_length > 100 for p in pages)
        assert len({p.warc_offset for p in pages}) == 5
        assert sorted(p.outcome for p in pages) == [
            "duplicate",
            "failed",
            "stored",
            "stored",
            "unchanged",
        ]
        (failed,) = [p for p in pages if p.outcome == "failed"]
        assert failed.error == "no article body" and failed.article_id is None
        # The pages' canonical links name another site than the test server: the fetched URL
        # wins, canonicalised (the refetch's ?utm_source=x is dropped).
        canonical = {r.canonical_url for r in rows(engine, "SELECT canonical_url FROM articles")}
        assert {urlsplit(c).path for c in canonical} == {
            "/a-post1.html",
            "/b-post2.html",
            "/copy-post3.html",
        }
        assert all(urlsplit(c).hostname == "127.0.0.1" and "?" not in c for c in canonical)
        (run,) = rows(engine, "SELECT id, status, spiders, mode, stats FROM crawl_runs")
        assert run.status == "finished" and run.mode == "full"
        stats = run.stats if isinstance(run.stats, dict) else json.loads(run.stats)
        assert stats["item_scraped_count"] == 5
        assert stats["archive/store/stored"] == 2
        assert stats["archive/store/failed"] == 1
        assert {p.run_id for p in pages} == {run.id}
    finally:
        engine.dispose()
