"""Idempotent upserts, versions, exact and near deduplication, pages, queries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from crawler.dedup import minhash
from crawler.dedup.synthetic import Generator
from crawler.storage import db
from crawler.storage.records import ExtractionFailure, PageRecord
from crawler.storage.repository import Repository
from crawler.storage.stories import count_stories, duplicates_of, stories
from crawler.storage.tables import ARTICLES, utcnow

from .conftest import BODY, OTHER_BODY, make_article, rows, scalar, store, store_one

URL = "https://baohatinh.vn/ha-tinh-trien-khai-ke-hoach-post123.html"


def article_row(engine: Engine, canonical: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(ARTICLES).where(ARTICLES.c.canonical_url == canonical)).one()
    return dict(row._mapping)


def test_upsert_is_idempotent(engine: Engine, repo: Repository) -> None:
    outcomes = [store(engine, repo, make_article(URL))[0].outcome for _ in range(3)]
    assert outcomes == ["stored", "unchanged", "unchanged"]
    assert scalar(engine, "SELECT count(*) FROM articles") == 1
    assert scalar(engine, "SELECT count(*) FROM article_versions") == 1
    assert scalar(engine, "SELECT count(*) FROM body_hashes") == 1
    assert scalar(engine, "SELECT count(*) FROM outlets") == 1
    # The same URL twice in one batch is one article too.
    results = store(engine, repo, make_article(URL + "?x=1"), make_article(URL + "?x=1"))
    assert [r.outcome for r in results] == ["duplicate", "unchanged"]
    assert scalar(engine, "SELECT count(*) FROM articles") == 2


def test_url_variants_are_one_article(engine: Engine, repo: Repository) -> None:
    variants = [
        "https://baohatinh.vn/ha-tinh-trien-khai-ke-hoach-post123.html",
        "https://www.baohatinh.vn/ha-tinh-trien-khai-ke-hoach-post123.html?utm_source=fb",
        "HTTPS://m.BaoHaTinh.vn:443/ha-tinh-trien-khai-ke-hoach-post123.html?fbclid=abc#top",
        "https://baohatinh.vn/ha-tinh-trien-khai-ke-hoach-post123.html?zarsrc=30&gclid=x",
    ]
    for url in variants:
        store(engine, repo, make_article(url))
    assert [r.canonical_url for r in rows(engine, "SELECT canonical_url FROM articles")] == [URL]


def test_same_outlet_canonical_wins_other_outlet_ignored(engine: Engine, repo: Repository) -> None:
    store(
        engine,
        repo,
        make_article(
            "https://baohatinh.vn/amp/some-alias-123.html",
            canonical_url="https://www.baohatinh.vn/the-real-url-post9.html?utm_medium=x",
        ),
        make_article(
            "https://baonghean.vn/syndicated-post7.html",
            canonical_url="https://baohatinh.vn/original-post7.html",
            body=OTHER_BODY,
        ),
    )
    canon = {r.canonical_url for r in rows(engine, "SELECT canonical_url FROM articles")}
    assert canon == {
        "https://baohatinh.vn/the-real-url-post9.html",
        "https://baonghean.vn/syndicated-post7.html",
    }


def test_changed_article_becomes_new_version(engine: Engine, repo: Repository) -> None:
    store(engine, repo, make_article(URL))
    before = article_row(engine, URL)
    new_body = BODY.replace("6,8%", "7,1%")
    result = store(engine, repo, make_article(URL, body=new_body))[0]
    assert result.outcome == "updated"
    assert result.version == 2
    after = article_row(engine, URL)
    assert after["version"] == 2
    assert after["body"] == new_body
    assert after["id"] == before["id"]
    assert before["modified_at"] is None
    assert after["modified_at"] is not None
    assert after["last_seen"] >= before["last_seen"]
    versions = rows(engine, "SELECT version, body FROM article_versions ORDER BY version")
    assert [(v.version, v.body) for v in versions] == [(1, BODY), (2, new_body)]
    # The page's own modification time wins when it gives one.
    store(engine, repo, make_article(URL, body=BODY, modified_at="2025-03-13T10:00:00+07:00"))
    third = article_row(engine, URL)
    assert third["version"] == 3
    assert third["modified_at"] == datetime(2025, 3, 13, 3, 0, tzinfo=UTC)


def test_whitespace_and_normalisation_changes_are_not_versions(
    engine: Engine, repo: Repository
) -> None:
    store(engine, repo, make_article(URL))
    decomposed = BODY.replace("ệ", "e\u0323\u0302").replace(" ", "  \u00a0")
    assert decomposed != BODY
    assert store(engine, repo, make_article(URL, body=decomposed))[0].outcome == "unchanged"
    assert scalar(engine, "SELECT count(*) FROM article_versions") == 1


def test_unchanged_refetch_only_touches_last_seen(engine: Engine, repo: Repository) -> None:
    store(engine, repo, make_article(URL))
    before = article_row(engine, URL)
    result = store_one(engine, repo, make_article(URL))
    assert result.outcome == "unchanged"
    after = article_row(engine, URL)
    assert after["last_seen"] > before["last_seen"]
    assert {k: v for k, v in after.items() if k != "last_seen"} == {
        k: v for k, v in before.items() if k != "last_seen"
    }


def test_exact_duplicate_points_at_first(engine: Engine, repo: Repository) -> None:
    first = store(engine, repo, make_article(URL))[0]
    other = "https://baonghean.vn/ha-tinh-ban-tin-post55.html"
    dup = store(
        engine,
        repo,
        make_article(other, title="Another headline", body=BODY.replace("\n", "\n\n ")),
    )[0]
    assert dup.outcome == "duplicate"
    assert dup.duplicate_of == first.article_id
    row = article_row(engine, other)
    assert row["duplicate_of"] == first.article_id
    assert row["body"] is not None  # kept, not deleted
    assert scalar(engine, "SELECT count(*) FROM articles") == 2


def test_exact_duplicates_within_one_batch(engine: Engine, repo: Repository) -> None:
    results = store(
        engine,
        repo,
        make_article(URL),
        make_article("https://baonghean.vn/copy-post1.html"),
        make_article("https://baoquangtri.vn/copy-post2.html"),
    )
    assert [r.outcome for r in results] == ["stored", "duplicate", "duplicate"]
    assert results[1].duplicate_of == results[0].article_id
    assert results[2].duplicate_of == results[0].article_id


PARAGRAPHS = BODY.split("\n")
NEAR_VARIANTS = {
    "other sapo, source line": {
        "sapo": "Sáng nay, tỉnh Hà Tĩnh bàn giải pháp thúc đẩy tăng trưởng trong năm 2025.",
        "body": BODY + "\nTheo Báo Hà Tĩnh",
    },
    "dropped paragraph": {"body": "\n".join(PARAGRAPHS[:2] + PARAGRAPHS[3:])},
    "changed headline": {
        "title": "Hà Tĩnh đặt mục tiêu tăng trưởng cao trong năm 2025",
        "body": BODY.replace("hơn 12 nghìn", "gần 12,5 nghìn"),
    },
}


@pytest.mark.parametrize("edit", sorted(NEAR_VARIANTS))
@pytest.mark.parametrize("same_batch", [False, True])
def test_near_duplicates_are_recorded_with_similarity(
    engine: Engine, repo: Repository, edit: str, same_batch: bool
) -> None:
    original = make_article(URL)
    variant = make_article("https://baonghean.vn/ban-tin-post77.html", **NEAR_VARIANTS[edit])
    if same_batch:
        first, result = store(engine, repo, original, variant)
    else:
        first = store(engine, repo, original)[0]
        result = store(engine, repo, variant)[0]
    assert result.outcome == "duplicate"
    assert result.duplicate_of is None
    assert result.near_duplicate_of == first.article_id
    assert result.similarity is not None
    assert repo.threshold <= result.similarity < 1.0
    row = article_row(engine, "https://baonghean.vn/ban-tin-post77.html")
    assert row["near_duplicate_of"] == first.article_id
    assert row["near_similarity"] == pytest.approx(result.similarity)
    # Only the root is in the index.
    assert scalar(engine, "SELECT count(*) FROM near_dup_signatures") == 1
    assert scalar(engine, "SELECT count(DISTINCT article_id) FROM near_dup_buckets") == 1


def test_unrelated_articles_are_not_matched(engine: Engine, repo: Repository) -> None:
    results = store(
        engine,
        repo,
        make_article(URL),
        make_article(
            "https://baonghean.vn/bong-da-post1.html", title="Nghệ An thắng", body=OTHER_BODY
        ),
        # Same outlet, same opening paragraph and sapo, a different story after it.
        make_article(
            "https://baohatinh.vn/khac-post2.html",
            title="Hà Tĩnh họp bàn về giáo dục",
            body=PARAGRAPHS[0] + "\n" + Generator(seed=9).original().body,
        ),
    )
    assert [r.outcome for r in results] == ["stored", "stored", "stored"]
    assert scalar(engine, "SELECT count(*) FROM near_dup_signatures") == 3


def test_threshold_setting_is_honoured(engine: Engine) -> None:
    strict = Repository(threshold=0.999)
    store(engine, strict, make_article(URL))
    variant = make_article(
        "https://baonghean.vn/x-post1.html", **NEAR_VARIANTS["dropped paragraph"]
    )
    assert store(engine, strict, variant)[0].outcome == "stored"


def test_near_dup_index_persists_across_engines(db_url: str) -> None:
    engine = db.make_engine(db_url)
    first = store(engine, Repository(), make_article(URL))[0]
    engine.dispose()
    engine = db.make_engine(db_url)
    try:
        variant = make_article(
            "https://baonghean.vn/v-post2.html", **NEAR_VARIANTS["changed headline"]
        )
        result = store(engine, Repository(), variant)[0]
        assert result.near_duplicate_of == first.article_id
    finally:
        engine.dispose()


def test_root_index_follows_new_versions(engine: Engine, repo: Repository) -> None:
    store(engine, repo, make_article(URL))
    store(engine, repo, make_article(URL, title="Nghệ An thắng", body=OTHER_BODY))
    # The old text no longer matches the root; the new text does.
    old_text = make_article("https://baonghean.vn/old-post1.html", body=BODY + "\nTheo BHT")
    new_text = make_article(
        "https://baonghean.vn/new-post2.html", title="Nghệ An thắng", body=OTHER_BODY + "\nTheo BHT"
    )
    results = store(engine, repo, old_text, new_text)
    assert results[0].near_duplicate_of is None
    assert results[1].near_duplicate_of is not None


def test_one_row_per_story(engine: Engine, repo: Repository) -> None:
    store(
        engine,
        repo,
        make_article(URL),
        make_article("https://baonghean.vn/exact-post1.html"),
        make_article("https://baonghean.vn/near-post2.html", **NEAR_VARIANTS["dropped paragraph"]),
        make_article("https://baonghean.vn/bong-da-post3.html", title="Bóng đá", body=OTHER_BODY),
    )
    with engine.connect() as conn:
        assert count_stories(conn) == 2
        assert count_stories(conn, include_duplicates=True) == 4
        urls = [r.canonical_url for r in conn.execute(stories())]
        assert urls == [URL, "https://baonghean.vn/bong-da-post3.html"]
        assert len(conn.execute(stories(include_duplicates=True)).all()) == 4
        root = conn.execute(stories()).first()
        assert root is not None
        dups = duplicates_of(conn, root.id)
        assert {d.canonical_url for d in dups} == {
            "https://baonghean.vn/exact-post1.html",
            "https://baonghean.vn/near-post2.html",
        }


def test_pages_are_linked_to_their_outcome(engine: Engine, repo: Repository) -> None:
    with engine.begin() as conn:
        run_id = repo.open_run(conn, ["baohatinh"], "incremental", utcnow())
    warc = {"warc_file": "warc/crawl-0001.warc.gz", "warc_offset": 1234, "warc_length": 5678}
    failed_url = "https://baohatinh.vn/broken-post9.html"
    store(
        engine,
        repo,
        PageRecord(url=URL, status=200, fetched_at=utcnow(), **warc),  # type: ignore[arg-type]
        PageRecord(url=failed_url, status=200, fetched_at=utcnow()),
        PageRecord(url="https://baohatinh.vn/listing", status=200, fetched_at=utcnow()),
        make_article(URL, extractor_version="x1"),
        ExtractionFailure(url=failed_url, error="ValueError: no body", extractor_version="x1"),
        run_id=run_id,
    )
    store(engine, repo, PageRecord(url=URL, status=200, fetched_at=utcnow()), run_id=run_id)
    store(engine, repo, make_article(URL), run_id=run_id)
    pages = rows(
        engine,
        "SELECT url, status, outcome, error, article_id, warc_file, warc_offset, warc_length, "
        "run_id, extractor_version FROM pages ORDER BY id",
    )
    article_id = scalar(engine, "SELECT id FROM articles")
    assert [(p.url, p.outcome, p.article_id) for p in pages] == [
        (URL, "stored", article_id),
        (failed_url, "failed", None),
        ("https://baohatinh.vn/listing", None, None),
        (URL, "unchanged", article_id),
    ]
    assert (pages[0].warc_file, pages[0].warc_offset, pages[0].warc_length) == (
        "warc/crawl-0001.warc.gz",
        1234,
        5678,
    )
    assert pages[1].error == "ValueError: no body"
    assert pages[1].extractor_version == "x1"
    assert {p.run_id for p in pages} == {run_id}


def test_failure_without_page_row_is_still_stored(engine: Engine, repo: Repository) -> None:
    store(engine, repo, ExtractionFailure(url=URL, error="timeout", status=504))
    (page,) = rows(engine, "SELECT url, canonical_url, status, outcome, error FROM pages")
    assert tuple(page) == (URL, URL, 504, "failed", "timeout")


def test_batch_equals_one_by_one(db_url: str, tmp_path: object) -> None:
    from crawler.dedup.synthetic import Generator

    articles = list(Generator(seed=5).stream(120, near_dup_ratio=0.3))
    items = [
        make_article(a.url, title=a.title, sapo=a.sapo, body=a.body, outlet=a.outlet)
        for a in articles
    ]
    items.append(
        make_article(
            articles[3].url, title=articles[3].title, sapo=articles[3].sapo, body=articles[3].body
        )
    )  # refetch
    batched = db.make_engine(db_url)
    try:
        repo = Repository()
        results = []
        for i in range(0, len(items), 40):
            results.extend(store(batched, repo, *items[i : i + 40]))
        one_repo = Repository()
        # Apply the same items one by one on fresh tables of the same database.
        verdicts_batch = [(r.outcome, r.similarity is not None) for r in results]
        with batched.begin() as conn:
            for table in (
                "url_ledger",
                "pages",
                "near_dup_buckets",
                "near_dup_signatures",
                "body_hashes",
                "article_versions",
            ):
                conn.exec_driver_sql(f"DELETE FROM {table}")
            conn.exec_driver_sql("DELETE FROM articles")
        singles = [store_one(batched, one_repo, item) for item in items]
        verdicts_single = [(r.outcome, r.similarity is not None) for r in singles]
        assert verdicts_batch == verdicts_single
        assert sum(1 for o, _ in verdicts_batch if o == "duplicate") >= 25
        assert verdicts_batch[-1][0] == "unchanged"
    finally:
        batched.dispose()


def test_signature_parameters_are_consistent() -> None:
    assert minhash.BANDS * minhash.ROWS <= minhash.NUM_PERM
    sig = minhash.signature([BODY])
    assert sig is not None and len(sig) == minhash.NUM_PERM
    assert len(set(minhash.band_keys(sig))) == minhash.BANDS
    assert minhash.signature(["quá ngắn"]) is None


def test_a_time_beyond_what_utc_can_hold_is_dropped_not_fatal(
    engine: Engine, repo: Repository
) -> None:
    item = make_article(
        "https://baohatinh.vn/ngay-la-post9999.html", published_at="9999-12-31T23:59:59-05:00"
    )
    (result,) = store(engine, repo, item)
    assert result is not None and result.outcome == "stored"
    assert scalar(engine, "SELECT published_at FROM articles") is None
