"""The capture queries of the archive (:mod:`crawler.storage.captures`) on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from crawler.storage import captures, pages
from crawler.storage.records import PageRecord

if TYPE_CHECKING:
    from sqlalchemy import Engine

T0 = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


def _page(url: str, minutes: int, file: str, offset: int, digest: str) -> PageRecord:
    return PageRecord(
        url=url,
        status=200,
        fetched_at=T0 + timedelta(minutes=minutes),
        warc_file=file,
        warc_offset=offset,
        warc_length=100,
        payload_digest=digest,
    )


def test_latest_capture_per_url_with_the_date_of_the_record_holding_the_payload(
    engine: Engine,
) -> None:
    listing = "https://baohatinh.vn/thoi-su/"
    with engine.begin() as conn:
        pages.insert_pages(
            conn,
            [
                _page(listing, 0, "warc/a.warc.gz", 10, "sha1:OLD"),
                _page(listing, 60, "warc/b.warc.gz", 20, "sha1:NEW"),  # changed: full record
                _page(listing, 120, "warc/b.warc.gz", 20, "sha1:NEW"),  # revisit of it
                _page("https://baohatinh.vn/robots.txt", 5, "warc/a.warc.gz", 30, "sha1:R"),
                _page("https://www.baohatinh.vn/", 5, "warc/a.warc.gz", 40, "sha1:W"),
                _page("https://baohatinh.vn.evil.com/", 5, "warc/a.warc.gz", 50, "sha1:E"),
                _page("https://baonghean.vn/", 5, "warc/a.warc.gz", 60, "sha1:N"),
                PageRecord(url="https://baohatinh.vn/x", status=200, fetched_at=T0),  # no WARC
            ],
            None,
        )
        found = {
            row.url: row
            for row in captures.latest_captures(conn, ["baohatinh.vn", "www.baohatinh.vn"])
        }
    assert set(found) == {listing, "https://baohatinh.vn/robots.txt", "https://www.baohatinh.vn/"}
    latest = found[listing]
    assert (latest.payload_digest, latest.warc_file, latest.warc_offset) == (
        "sha1:NEW",
        "warc/b.warc.gz",
        20,
    )
    assert latest.captured_at == T0 + timedelta(minutes=60)  # the fetch that wrote the record
    assert captures.host_ranges([]) == []


def test_article_pages_are_the_newest_page_of_each_article(engine: Engine) -> None:
    from crawler.storage.repository import Repository

    from .conftest import make_article

    repo = Repository()
    with engine.begin() as conn:
        run = repo.open_run(conn, ["t"], "test", T0)
        article = make_article("https://baohatinh.vn/bai-1-post1.html")
        for minutes, offset in ((0, 100), (30, 200)):
            pages.insert_pages(
                conn, [_page(article.url, minutes, "warc/a.warc.gz", offset, "sha1:A")], run
            )
            repo.store_article(conn, article, run, T0 + timedelta(minutes=minutes))
        (row,) = captures.article_pages(conn)
    assert row.url == article.url and row.warc_offset == 200
    assert row.title == article.title
