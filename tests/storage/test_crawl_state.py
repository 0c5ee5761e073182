"""What spiders ask the database before fetching (:mod:`crawler.crawlstate`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from crawler.crawlstate import DatabaseCrawlState
from crawler.storage.records import ExtractionFailure, PageRecord
from crawler.storage.tables import utcnow

from .conftest import make_article

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.storage.repository import Repository


def test_stored_knows_articles_failures_and_gone_pages(engine: Engine, repo: Repository) -> None:
    base = utcnow() - timedelta(days=3)
    stored_url = "https://baohatinh.vn/da-luu-post1.html"
    failed_url = "https://baohatinh.vn/loi-post2.html"
    gone_url = "https://baohatinh.vn/da-xoa-post3.html"
    ok_url = "https://baohatinh.vn/binh-thuong-post4.html"
    with engine.begin() as conn:
        repo.store_article(conn, make_article(stored_url), None, base)
        repo.record_page(conn, PageRecord(url=failed_url, status=200, fetched_at=base), None)
        repo.record_failure(conn, ExtractionFailure(url=failed_url, error="no body"), None, base)
        later = base + timedelta(hours=5)
        repo.record_page(conn, PageRecord(url=gone_url, status=410, fetched_at=later), None)
        repo.record_page(conn, PageRecord(url=ok_url, status=200, fetched_at=later), None)
    state = DatabaseCrawlState(engine)
    unknown = [f"https://baohatinh.vn/moi-post{i}.html" for i in range(10, 1200)]
    known = state.stored([stored_url, failed_url, gone_url, ok_url, *unknown, stored_url])
    assert set(known) == {stored_url, failed_url, gone_url}
    assert all(isinstance(v, datetime) and v.tzinfo is not None for v in known.values())
    assert known[gone_url] - known[stored_url] == timedelta(hours=5)
    assert state.stored([]) == {}
