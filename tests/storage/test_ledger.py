"""The URL ledger: every discovered URL and what became of it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from alembic import command
from sqlalchemy import select, text

from crawler.storage import db, ledger
from crawler.storage.records import (
    Deferred,
    Discovered,
    ExtractionFailure,
    FetchFailure,
    PageRecord,
    Visited,
)
from crawler.storage.tables import LEDGER, utcnow

from .conftest import make_article, rows, scalar

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from crawler.storage.repository import Repository

OUTLET = "baohatinh.vn"


def url(n: int) -> str:
    return f"https://baohatinh.vn/bai-so-{n}-post{n}.html"


def apply(
    engine: Engine, repo: Repository, *ops: tuple[str, Any], when: datetime | None = None
) -> Any:
    """Apply operations as one writer batch."""
    now = when or utcnow()
    with engine.begin() as conn:
        results = repo.store_batch(conn, [(kind, payload, now) for kind, payload in ops], None)
    repo.commit_caches()
    return results


def found(*ns: int, **fields: Any) -> tuple[str, list[Discovered]]:
    return (
        "discovered",
        [Discovered(url(n), OUTLET, "sitemap", "https://baohatinh.vn/s.xml", **fields) for n in ns],
    )


def state(engine: Engine, n: int | str) -> dict[str, Any]:
    """The ledger row of a URL, with typed (aware) times."""
    target = url(n) if isinstance(n, int) else n
    with engine.connect() as conn:
        row = conn.execute(select(LEDGER).where(LEDGER.c.url == target)).first()
    assert row is not None, f"{target} not in the ledger"
    return dict(row._mapping)


def test_a_url_goes_pending_fetched_stored(engine: Engine, repo: Repository) -> None:
    apply(engine, repo, found(1, 2))
    assert {state(engine, n)["state"] for n in (1, 2)} == {"pending"}
    apply(engine, repo, ("page", PageRecord(url(1), 200, utcnow(), requested_url=url(1))))
    assert state(engine, 1)["state"] == "fetched"
    assert state(engine, 1)["last_status"] == 200
    apply(engine, repo, ("article", make_article(url(1))))
    row = state(engine, 1)
    assert row["state"] == "stored" and row["article_id"] is not None
    assert row["stored_at"] is not None and row["attempts"] == 0
    assert state(engine, 2)["state"] == "pending"
    assert scalar(engine, "SELECT count(*) FROM url_ledger") == 2


def test_discovery_pages_and_articles_in_one_batch_end_stored(
    engine: Engine, repo: Repository
) -> None:
    # The order of a URL's life is kept inside one transaction too.
    apply(
        engine,
        repo,
        ("article", make_article(url(3))),
        ("page", PageRecord(url(3), 200, utcnow(), requested_url=url(3))),
        found(3),
    )
    assert state(engine, 3)["state"] == "stored"


def test_a_redirected_request_marks_the_requested_url_stored(
    engine: Engine, repo: Repository
) -> None:
    old = "https://baohatinh.vn/tin-cu-post7.html"
    new = "https://baohatinh.vn/tin-moi-da-doi-duong-dan-post7.html"
    apply(engine, repo, ("discovered", [Discovered(old, OUTLET, "listing")]))
    apply(
        engine,
        repo,
        ("page", PageRecord(old, 301, utcnow(), requested_url=old)),
        ("page", PageRecord(new, 200, utcnow(), requested_url=old)),
        ("article", make_article(new, canonical_url=new)),
    )
    assert state(engine, old)["state"] == "stored"
    assert state(engine, new)["state"] == "stored"  # the article's own URL is known too
    assert state(engine, old)["article_id"] == state(engine, new)["article_id"]


def test_failures_back_off_and_never_downgrade_a_stored_url(
    engine: Engine, repo: Repository
) -> None:
    apply(engine, repo, found(4, 5, 6))
    start = utcnow()
    apply(engine, repo, ("fetch_failed", FetchFailure(url(4), "HTTP 503", 503)), when=start)
    first = state(engine, 4)
    assert first["state"] == "failed" and first["attempts"] == 1 and first["reason"] == "HTTP 503"
    assert first["next_attempt_at"] - start == ledger.retry_delay(1)
    apply(engine, repo, ("fetch_failed", FetchFailure(url(4), "TimeoutError", None)), when=start)
    second = state(engine, 4)
    assert second["attempts"] == 2
    assert second["next_attempt_at"] - start == ledger.retry_delay(2) > ledger.retry_delay(1)
    apply(engine, repo, ("fetch_failed", FetchFailure(url(5), "HTTP 404", 404, gone=True)))
    gone = state(engine, 5)
    assert gone["state"] == "gone" and gone["next_attempt_at"] is None
    apply(engine, repo, ("article", make_article(url(6))))
    apply(engine, repo, ("fetch_failed", FetchFailure(url(6), "HTTP 500", 500)))
    kept = state(engine, 6)
    assert kept["state"] == "stored" and kept["next_attempt_at"] is None
    assert kept["reason"] == "HTTP 500"  # the failure is noted, the article kept
    # A failure of a URL the ledger never saw (a sitemap) is not invented into it.
    apply(engine, repo, ("fetch_failed", FetchFailure("https://baohatinh.vn/x.xml", "HTTP 500")))
    assert scalar(engine, "SELECT count(*) FROM url_ledger") == 3


def test_retry_delay_grows_then_gives_up() -> None:
    delays = [ledger.retry_delay(n) for n in range(1, ledger.MAX_ATTEMPTS + 1)]
    assert delays[0] == ledger.RETRY_BASE
    growing = [d for d in delays if d is not None]
    assert growing == sorted(growing) and len(growing) == ledger.MAX_ATTEMPTS - 1
    assert max(d for d in delays if d is not None) == ledger.RETRY_MAX
    assert delays[-1] is None


def test_an_extraction_failure_makes_the_url_failed_with_its_reason(
    engine: Engine, repo: Repository
) -> None:
    apply(engine, repo, found(8))
    apply(
        engine,
        repo,
        ("page", PageRecord(url(8), 200, utcnow(), requested_url=url(8))),
        ("failure", ExtractionFailure(url(8), "soft 404: Bài viết không tồn tại")),
    )
    row = state(engine, 8)
    assert row["state"] == "failed" and "Bài viết không tồn tại" in row["reason"]
    assert row["attempts"] == 1 and row["next_attempt_at"] is not None


def test_due_takes_what_is_not_stored_in_the_crawls_scope(engine: Engine, repo: Repository) -> None:
    now = utcnow()
    horizon = now - timedelta(days=2)
    apply(
        engine,
        repo,
        found(10),  # no date: due for incremental crawls
        found(11, published_hint=now - timedelta(hours=5)),
        found(12, published_hint=now - timedelta(days=30)),  # before the horizon
        found(13, 14, 15),
        (
            "discovered",
            [
                Discovered(
                    "https://baohatinh.vn/chinh-tri/?page=4", OUTLET, "listing", kind="listing"
                )
            ],
        ),
        (
            "discovered",
            [Discovered("https://baonghean.vn/khac-1234567.html", "baonghean.vn", "feed")],
        ),
    )
    apply(engine, repo, ("article", make_article(url(13))))
    apply(engine, repo, ("fetch_failed", FetchFailure(url(14), "HTTP 500", 500)))
    apply(engine, repo, ("fetch_failed", FetchFailure(url(15), "HTTP 410", 410, gone=True)))
    with engine.connect() as conn:
        incremental = {e.url for e in ledger.due(conn, OUTLET, now, since=horizon)}
        later = {e.url for e in ledger.due(conn, OUTLET, now + timedelta(hours=1), since=horizon)}
        backfill = {
            e.url
            for e in ledger.due(
                conn,
                OUTLET,
                now,
                since=now - timedelta(days=40),
                until=now - timedelta(days=20),
                backfill=True,
            )
        }
    listing = "https://baohatinh.vn/chinh-tri/?page=4"
    assert incremental == {url(10), url(11), listing}
    assert later == incremental | {url(14)}  # its retry came due
    assert backfill == {url(12)}


def test_rediscovery_keeps_the_newest_lastmod_and_reopens_listing_pages(
    engine: Engine, repo: Repository
) -> None:
    now = utcnow()
    page = "https://baohatinh.vn/xa-hoi/?page=2"
    apply(
        engine,
        repo,
        found(20, lastmod=now - timedelta(days=1), published_hint=now - timedelta(days=3)),
    )
    apply(engine, repo, found(20, lastmod=now - timedelta(days=5), published_hint=now))
    row = state(engine, 20)
    assert row["lastmod"] == now - timedelta(days=1)
    assert row["published_hint"] == now - timedelta(days=3)
    apply(engine, repo, ("visited", Visited(page, OUTLET, "listing")))
    assert state(engine, page)["state"] == "done"
    apply(engine, repo, ("discovered", [Discovered(page, OUTLET, "listing", kind="listing")]))
    assert state(engine, page)["state"] == "pending"


def test_deferred_articles_stay_pending_with_their_date(engine: Engine, repo: Repository) -> None:
    when = utcnow() - timedelta(days=400)
    apply(
        engine, repo, found(30), ("page", PageRecord(url(30), 200, utcnow(), requested_url=url(30)))
    )
    apply(engine, repo, ("deferred", Deferred(url(30), "outside the backfill's range", when)))
    row = state(engine, 30)
    assert row["state"] == "pending" and row["published_hint"] == when
    assert "outside" in row["reason"]


def test_lookup_answers_in_chunks(engine: Engine, repo: Repository) -> None:
    apply(engine, repo, found(*range(100, 1300)))
    apply(engine, repo, ("article", make_article(url(150))))
    wanted = [url(n) for n in range(0, 1400)]
    with engine.connect() as conn:
        known = ledger.lookup(conn, wanted)
    assert set(known) == {url(n) for n in range(100, 1300)}
    assert known[url(150)].state == "stored" and known[url(151)].state == "pending"
    assert not known[url(150)].wanted(utcnow()) and known[url(151)].wanted(utcnow())


def test_the_horizon_is_set_once_and_the_earliest_wins(engine: Engine, repo: Repository) -> None:
    now = utcnow()
    apply(engine, repo, ("horizon", (OUTLET, now - timedelta(days=2))))
    apply(engine, repo, ("horizon", (OUTLET, now - timedelta(days=1))))
    assert scalar(engine, "SELECT count(*) FROM outlets") == 1
    apply(engine, repo, ("horizon", (OUTLET, now - timedelta(days=9))))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT crawl_horizon FROM outlets")).scalar()
    assert stored is not None


def test_migration_fills_the_ledger_from_an_existing_archive(db_url: str) -> None:
    old = db.make_engine(db_url, migrate=False)
    try:
        db.upgrade(old, "0002")
        seen = "2025-03-12 01:30:00"
        with old.begin() as conn:
            conn.execute(
                text("INSERT INTO outlets (id, domain, first_seen) VALUES (1, 'baohatinh.vn', :t)"),
                {"t": seen},
            )
            conn.execute(
                text(
                    "INSERT INTO articles (id, canonical_url, url, outlet_id, authors, tags, "
                    "images, content_hash, version, first_seen, last_seen) VALUES "
                    "(1, :u, :u, 1, '[]', '[]', '[]', 'h', 1, :t, :t)"
                ),
                {"u": url(1), "t": seen},
            )
            for page_id, page_url, status, outcome in (
                (1, url(1), 200, "stored"),
                (2, url(2), 200, "failed"),
                (3, url(3), 404, None),
                (4, "https://baohatinh.vn/sitemap.xml", 200, None),
            ):
                conn.execute(
                    text(
                        "INSERT INTO pages (id, url, canonical_url, status, fetched_at, outcome) "
                        "VALUES (:i, :u, :u, :s, :t, :o)"
                    ),
                    {"i": page_id, "u": page_url, "s": status, "t": seen, "o": outcome},
                )
        db.upgrade(old)
        states = {r.url: r.state for r in rows(old, "SELECT url, state FROM url_ledger")}
        assert states == {url(1): "stored", url(2): "failed", url(3): "gone"}
        assert scalar(old, "SELECT article_id FROM url_ledger WHERE url = :u", u=url(1)) == 1
        with old.begin() as conn:  # and back, and forth again
            command.downgrade(db.alembic_config(conn), "0002")
        db.upgrade(old)
        assert scalar(old, "SELECT count(*) FROM url_ledger") == 3
    finally:
        old.dispose()
