"""End-to-end on the fake outlets: crawl, export (3 formats, SQLite and PostgreSQL), stats
detecting an injected template change, the HTML report in headless Chromium, re-extraction
after the profile is fixed.

The scenario (one module fixture): a backfill crawl with the real profiles (the outlets'
history, healthy), new articles appear, then an incremental crawl runs with two outlet
profiles *as they were before a template change* (``sitecustomize_broken``: baohatinh's body
no longer found, so its pages fail; baonghean's sapo selector matching the headline, so its
articles are stored degraded). The profiles are then "fixed" — the subprocesses after that run
with the real ones — and ``crawler reextract`` repairs the archive from the WARC records.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from ops_testing import (
    BROKEN_PROFILES,
    assert_rows_match,
    expected_rows,
    read_csv,
    read_jsonl,
    read_parquet,
    render_dom,
    run_cli,
    run_crawl,
    screenshot,
)
from sqlalchemy import create_engine, select, text

from crawler.export.schema import BASE_COLUMNS, DUPLICATE_COLUMNS
from crawler.extraction import extract
from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.health import EXIT_FLAGGED
from crawler.storage import models
from crawler.storage.db import make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine

OUTLETS = ("baohatinh", "baonghean", "baohaugiang", "baocantho")
NEW_ARTICLES = 8
PG_URL = os.environ.get(
    "ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class Scenario:
    def __init__(self, data_dir: Path, corpus: Corpus) -> None:
        self.data_dir = data_dir
        self.corpus = corpus
        self.url = f"sqlite:///{data_dir / 'archive.sqlite3'}"

    def engine(self) -> Engine:
        return make_engine(self.url)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    corpus = Corpus(articles_per_outlet=25, now=real_now(), outlets=OUTLETS)
    data_dir = tmp_path_factory.mktemp("ops")
    with FakeOutletServer(corpus) as server:
        first = run_crawl(data_dir, server.mirrors_json, *OUTLETS, "--since", "2019-01-01")
        assert first.returncode == 0, first.stderr[-4000:]
        for outlet in ("baohatinh", "baonghean"):
            corpus.add_articles(outlet, NEW_ARTICLES)
        second = run_crawl(data_dir, server.mirrors_json, *OUTLETS, PYTHONPATH=str(BROKEN_PROFILES))
        assert second.returncode == 0, second.stderr[-4000:]
        assert second.summary("baohatinh")["rejected"] >= NEW_ARTICLES
    yield Scenario(data_dir, corpus)


# --- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("duplicates", [False, True])
def test_export_matches_the_database_field_by_field(
    scenario: Scenario, tmp_path: Path, fmt: str, duplicates: bool
) -> None:
    out = tmp_path / f"articles.{fmt}"
    args = ["export", "--format", fmt, "-o", str(out)]
    if duplicates:
        args.append("--include-duplicates")
    done = run_cli(scenario.data_dir, *args)
    assert done.returncode == 0, done.stderr
    engine = scenario.engine()
    try:
        expected = expected_rows(engine, include_duplicates=duplicates)
    finally:
        engine.dispose()
    columns = list(BASE_COLUMNS) + (list(DUPLICATE_COLUMNS) if duplicates else [])
    reader = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}[fmt]
    rows = reader(out)
    assert len(rows) > 50
    assert_rows_match(rows, expected, columns)
    if duplicates:  # the syndicated Hậu Giang / Cần Thơ story is there, pointing at its root
        assert any(r["duplicate_of"] or r["near_duplicate_of"] for r in rows)
    else:
        assert not any(
            v.get("duplicate_of") or v.get("near_duplicate_of") for v in expected.values()
        )
    assert not list(tmp_path.glob(".*.tmp-*"))  # no temp file left


def test_parquet_schema_is_typed(scenario: Scenario, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "a.parquet"
    assert run_cli(scenario.data_dir, "export", "-f", "parquet", "-o", str(out)).returncode == 0
    schema = pq.read_schema(out)
    assert schema.field("published_at").type == pa.timestamp("us", tz="Asia/Ho_Chi_Minh")
    assert schema.field("first_seen").type == pa.timestamp("us", tz="Asia/Ho_Chi_Minh")
    assert schema.field("authors").type == pa.list_(pa.string())
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("images").type == pa.list_(
        pa.struct([("url", pa.string()), ("caption", pa.string())])
    )
    assert schema.field("id").type == pa.int64()


def test_export_filters_and_fields(scenario: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    done = run_cli(
        scenario.data_dir,
        "export", "-f", "jsonl", "--outlet", "baohatinh", "--outlet", "baocantho.com.vn",
        "--since", "2024-01-01", "--until", "2025-06-30",
        "--fields", "id,outlet,published_at", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = read_jsonl(out)
    engine = scenario.engine()
    try:
        everything = expected_rows(engine, include_duplicates=False)
    finally:
        engine.dispose()
    want = sorted(
        r["id"]
        for r in everything.values()
        if r["outlet"] in ("baohatinh.vn", "baocantho.com.vn")
        and r["published_at"] is not None
        and "2024-01-01"
        <= r["published_at"].astimezone(rows[0]["published_at"].tzinfo).date().isoformat()
        <= "2025-06-30"
    )
    assert [r["id"] for r in rows] == want and want
    assert all(list(r) == ["id", "outlet", "published_at"] for r in rows)
    bad = run_cli(scenario.data_dir, "export", "-f", "csv", "--fields", "nope", "-o", "x.csv")
    assert bad.returncode == 2 and "unknown field" in bad.stderr


def test_export_on_postgresql(scenario: Scenario, tmp_path: Path) -> None:
    admin = create_engine(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg_url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        source, target = scenario.engine(), make_engine(pg_url)
        try:
            with source.connect() as src, target.begin() as dst:
                for model in (models.Outlet, models.CrawlRun, models.Article):
                    table: Any = model.__table__
                    rows = [dict(r._mapping) for r in src.execute(select(table))]
                    dst.execute(table.insert(), rows)
                dst.execute(text("SELECT 1"))
            out = tmp_path / "pg.parquet"
            done = run_cli(
                scenario.data_dir,
                "export", "-f", "parquet", "--include-duplicates", "-o", str(out),
                env={"ARCHIVE_DATABASE_URL": pg_url},
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            expected = expected_rows(target, include_duplicates=True)
            columns = list(BASE_COLUMNS) + list(DUPLICATE_COLUMNS)
            assert_rows_match(read_parquet(out), expected, columns)
        finally:
            source.dispose()
            target.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- stats and report -------------------------------------------------------------------------


def test_stats_flags_the_template_change(scenario: Scenario) -> None:
    done = run_cli(scenario.data_dir, "stats", "--json")
    assert done.returncode == EXIT_FLAGGED, done.stderr
    data = json.loads(done.stdout)
    assert data["flagged"] == ["baohatinh"]  # baonghean's degraded sapo is no health field
    by_name = {o["name"]: o for o in data["outlets"]}
    engine = scenario.engine()
    try:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    text(
                        "SELECT o.domain, count(*) FROM articles a JOIN outlets o "
                        "ON o.id = a.outlet_id WHERE a.duplicate_of IS NULL "
                        "AND a.near_duplicate_of IS NULL GROUP BY o.domain"
                    )
                ).all()
            )
            failed = conn.execute(
                text("SELECT count(*) FROM pages WHERE outcome = 'failed' AND run_id = :r"),
                {"r": by_name["baohatinh"]["last_run"]["run_id"]},
            ).scalar_one()
    finally:
        engine.dispose()
    for name in OUTLETS:
        outlet = by_name[name]
        assert outlet["articles"] == counts[outlet["domain"]]
        assert len(outlet["runs"]) == 2 and outlet["last_run"]["status"] == "finished"
        assert len(outlet["per_day_published"]) == 28
    ht = by_name["baohatinh"]
    assert ht["last_run"]["failed"] == failed >= NEW_ARTICLES
    assert ht["share"] >= 0.5 and ht["usual_share"] < 0.2
    assert "template change" in ht["reason"]
    assert sum(by_name["baonghean"]["per_day_stored"]) > 0
    text_out = run_cli(scenario.data_dir, "stats")
    assert text_out.returncode == EXIT_FLAGGED
    assert "FLAGGED baohatinh" in text_out.stdout


def test_report_renders_in_headless_chromium(scenario: Scenario, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    done = run_cli(scenario.data_dir, "report", "-o", str(report))
    assert done.returncode == 0, done.stderr
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://', "")
    dom = render_dom(report, tmp_path / "profile")
    for name in OUTLETS:
        assert '<tr class="outlet' in dom and f'data-outlet="{name}"' in dom
    assert dom.count('<svg class="chart per-day"') >= len(OUTLETS)
    assert dom.count('<svg class="chart health"') >= len(OUTLETS)
    assert dom.count('class="bar"') >= 28 * len(OUTLETS)
    assert 'class="outlet flagged" data-outlet="baohatinh"' in dom
    shot = tmp_path / "report.png"
    screenshot(report, shot, tmp_path / "profile")
    assert shot.exists() and shot.stat().st_size > 10_000
    if os.environ.get("OPS_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["OPS_KEEP_SCREENSHOT"])


# --- re-extraction (runs last: it repairs the archive) ----------------------------------------


def test_reextract_repairs_the_archive_after_the_profile_fix(scenario: Scenario) -> None:
    engine = scenario.engine()
    try:
        with engine.connect() as conn:
            degraded = dict(
                conn.execute(
                    # Stored by the broken profile: the headline as sapo. (Every article's
                    # version is behind the current one too: the crawls learned the outlets'
                    # boilerplate.)
                    text(
                        "SELECT a.id, a.sapo FROM articles a JOIN outlets o ON o.id = a.outlet_id "
                        "WHERE o.domain = 'baonghean.vn' AND a.extractor_version != :v "
                        "AND a.sapo = a.title"
                    ),
                    {"v": _current_version(conn, "https://baonghean.vn/")},
                ).all()
            )
            failed_urls = {
                u
                for (u,) in conn.execute(
                    text("SELECT canonical_url FROM pages WHERE outcome = 'failed'")
                )
            }
    finally:
        engine.dispose()
    assert len(degraded) >= NEW_ARTICLES  # stored with the broken profile
    assert all(sapo for sapo in degraded.values())

    done = run_cli(scenario.data_dir, "reextract", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["changed"] == len(degraded)
    assert summary["new_from_failed"] >= NEW_ARTICLES
    assert summary["missing_warc"] == 0 and summary["errors"] == 0
    assert summary["changed_by_outlet"]["baonghean.vn"] == len(degraded)

    engine = scenario.engine()
    try:
        with engine.connect() as conn:
            for article_id in degraded:
                article = conn.execute(
                    text("SELECT * FROM articles WHERE id = :i"), {"i": article_id}
                ).one()
                versions = conn.execute(
                    text(
                        "SELECT version, sapo, body, extractor_version FROM article_versions "
                        "WHERE article_id = :i ORDER BY version"
                    ),
                    {"i": article_id},
                ).all()
                assert [v.version for v in versions] == [1, 2]
                assert versions[0].sapo == article.title  # the old text is kept as a version
                assert versions[1].sapo == article.sapo and article.sapo != article.title
                assert article.version == 2
                assert article.extractor_version == _current_version(conn, article.url)
                assert versions[0].extractor_version != article.extractor_version
                # what is stored now is what the fixed profile gives from the WARC record
                fresh = _fresh(scenario, conn, article_id)
                assert (fresh.title, fresh.sapo) == (article.title, article.sapo)
            repaired = conn.execute(
                text(
                    "SELECT count(*) FROM articles a JOIN outlets o ON o.id = a.outlet_id "
                    "WHERE o.domain = 'baohatinh.vn' AND a.canonical_url IN "
                    "(SELECT canonical_url FROM pages WHERE outcome = 'failed')"
                )
            ).scalar_one()
            assert repaired >= NEW_ARTICLES and repaired <= len(failed_urls)
            run = conn.execute(
                text("SELECT mode, status FROM crawl_runs ORDER BY id DESC LIMIT 1")
            ).one()
            assert tuple(run) == ("reextract", "finished")
    finally:
        engine.dispose()

    again = run_cli(scenario.data_dir, "reextract", "--json")
    assert again.returncode == 0
    second = json.loads(again.stdout)
    assert second["changed"] == 0 and second["new_from_failed"] == 0


def _current_version(conn: Any, url: str) -> str:
    """The version an article of ``url`` gets today: profile and learned boilerplate (crawls
    learn it when they close)."""
    from crawler.extraction import extractor_version, outlet_key
    from crawler.outlets import profile_for_url
    from crawler.storage.boilerplate import load_learned

    return extractor_version(profile_for_url(url), load_learned(conn, outlet_key(url)))


def _fresh(scenario: Scenario, conn: Any, article_id: int) -> Any:
    from crawler.archive.reader import read_record
    from crawler.archive.writer import WarcLocation

    page = conn.execute(
        text(
            "SELECT url, warc_file, warc_offset, warc_length FROM pages WHERE article_id = :i "
            "AND warc_file IS NOT NULL ORDER BY id DESC LIMIT 1"
        ),
        {"i": article_id},
    ).one()
    record = read_record(
        scenario.data_dir, WarcLocation(page.warc_file, page.warc_offset, page.warc_length)
    )
    return extract(record.body, page.url)
