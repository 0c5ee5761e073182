"""Boilerplate learned from the archive removes what no rule names, on both backends.

An archive is built the way a crawl builds it (WARC records written, page rows recorded,
articles stored through the repository) from fake-outlet pages into whose bodies a promo
line is pasted, as newsrooms do: a line that no rule, selector or word list of the project
knows. Before learning the extractor keeps it; after ``learn`` it is gone from the body while
every line of the article stays, ``reextract`` repairs the stored articles, and a crawl-sized
sample of pages without the promo learns nothing from article text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import lxml.html
import pytest
from sqlalchemy import text

from crawler.archive import HttpExchange, WarcWriter
from crawler.extraction import extract, extract_page, extractor_version
from crawler.extraction.dom import compiled, parse
from crawler.fakeoutlets import render_page
from crawler.fakeoutlets.corpus import Corpus
from crawler.outlets import get_profile
from crawler.reextract import reextract
from crawler.storage.boilerplate import learn_outlet, learned_blocks, load_learned
from crawler.storage.records import PageRecord
from crawler.storage.repository import Repository

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

    from crawler.fakeoutlets.corpus import Entry

OUTLET = "baohatinh"
DOMAIN = "baohatinh.vn"
PROMO = "Đăng ký nhận bản tin Hà Tĩnh mỗi sáng qua Zalo để không bỏ lỡ tin nóng trong ngày."
PAGES = 30


def _entries(count: int = PAGES) -> list[Entry]:
    corpus = Corpus(articles_per_outlet=count, outlets=(OUTLET,))
    return corpus.synthetic(OUTLET)[:count]


def _with_promo(html: str, index: int) -> bytes:
    """The page with the promo pasted into its body, after a paragraph that varies."""
    root = parse(html)
    body = compiled("div.article__body")(root)[0]
    paragraphs = [p for p in body if p.tag == "p"]
    anchor = paragraphs[index % len(paragraphs)] if paragraphs else body
    promo = lxml.html.fragment_fromstring(f"<p><em>{PROMO}</em></p>")
    anchor.addnext(promo) if anchor is not body else body.append(promo)
    return bytes(lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>"))


def _archive(engine: Engine, data_dir: Path, pages: list[tuple[str, bytes]]) -> None:
    """Write the pages as a crawl would: WARC records, page rows, stored articles."""
    repo = Repository()
    base = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    with WarcWriter(data_dir, prefix="learn") as writer, engine.begin() as conn:
        for number, (url, body) in enumerate(pages):
            when = base + timedelta(minutes=number)
            location = writer.write(
                HttpExchange(
                    url=url,
                    status=200,
                    response_headers=[("Content-Type", "text/html; charset=utf-8")],
                    body=body,
                    date=when,
                )
            )
            repo.record_page(
                conn,
                PageRecord(
                    url=url,
                    status=200,
                    fetched_at=when,
                    warc_file=location.file,
                    warc_offset=location.offset,
                    warc_length=location.length,
                ),
                None,
            )
            repo.store_article(conn, extract(body, url), None, when)
    repo.commit_caches()


@pytest.fixture
def promo_archive(engine: Engine, tmp_path: Path) -> tuple[Engine, Path, list[Entry]]:
    entries = _entries()
    pages = [(e.url, _with_promo(render_page(e.source), i)) for i, e in enumerate(entries)]
    _archive(engine, tmp_path, pages)
    return engine, tmp_path, entries


def test_no_rule_names_the_promo(promo_archive: tuple[Engine, Path, list[Entry]]) -> None:
    _, _, entries = promo_archive
    page = _with_promo(render_page(entries[0].source), 0)
    assert PROMO in (extract(page, entries[0].url).body or "")


def test_learning_removes_the_promo_and_keeps_the_article(
    promo_archive: tuple[Engine, Path, list[Entry]],
) -> None:
    engine, data_dir, entries = promo_archive
    summary = learn_outlet(engine, data_dir, DOMAIN)
    assert summary.sampled == PAGES and summary.unreadable == 0
    assert any(PROMO in text for _, _, text in learned_blocks(engine, DOMAIN))
    learned = load_learned(engine, DOMAIN)
    for index, entry in enumerate(entries[:10]):
        page = _with_promo(render_page(entry.source), index)
        outcome = extract_page(page, entry.url, learned=learned)
        assert outcome.article is not None, outcome.failure
        body = outcome.article.body or ""
        assert PROMO not in body
        assert body.split("\n") == entry.source.body_lines()  # not a line of the story lost
        explanation = outcome.explanation
        assert explanation is not None
        assert any(p.rule.startswith("learned boilerplate") for p in explanation.pruned)
    assert extractor_version(get_profile(OUTLET), learned) != extractor_version(get_profile(OUTLET))


def test_reextract_applies_what_was_learned_to_stored_articles(
    promo_archive: tuple[Engine, Path, list[Entry]],
) -> None:
    engine, data_dir, _ = promo_archive
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM articles WHERE body LIKE :p"), {"p": f"%{PROMO}%"}
        ).scalar()
    assert stored == PAGES
    learn_outlet(engine, data_dir, DOMAIN)
    summary = reextract(engine, data_dir, outlets=[DOMAIN])
    assert summary.changed == PAGES and summary.errors == 0 and summary.missing_warc == 0
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM articles WHERE body LIKE :p"), {"p": f"%{PROMO}%"}
        ).scalar()
        versions = conn.execute(text("SELECT count(*) FROM article_versions")).scalar()
    assert left == 0
    assert versions == 2 * PAGES  # the text with the promo is kept as the first version
    again = reextract(engine, data_dir, outlets=[DOMAIN])
    assert again.changed == 0 and again.skipped_current == PAGES


def test_article_text_is_not_learned_from_an_archive_without_promo(
    engine: Engine, tmp_path: Path
) -> None:
    entries = _entries()
    _archive(engine, tmp_path, [(e.url, render_page(e.source).encode()) for e in entries])
    learn_outlet(engine, tmp_path, DOMAIN)
    learned = load_learned(engine, DOMAIN)
    assert learned.fingerprints  # the page chrome recurs on every page...
    for entry in entries:
        for line in entry.source.body_lines():
            assert not learned.is_boilerplate(line), line  # ...the stories' text does not


def test_too_few_pages_learn_nothing(engine: Engine, tmp_path: Path) -> None:
    entries = _entries(6)
    pages = [(e.url, _with_promo(render_page(e.source), i)) for i, e in enumerate(entries)]
    _archive(engine, tmp_path, pages)
    summary = learn_outlet(engine, tmp_path, DOMAIN)
    assert summary.sampled == 6 and summary.learned == 0


def test_cli_learns_shows_and_extract_applies(
    promo_archive: tuple[Engine, Path, list[Entry]], db_url: str
) -> None:
    _, data_dir, entries = promo_archive
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(data_dir), "ARCHIVE_DATABASE_URL": db_url}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crawler.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    learned = cli("boilerplate", "learn", "--outlet", OUTLET, "--json")
    assert learned.returncode == 0, learned.stderr
    (summary,) = json.loads(learned.stdout)
    assert summary["outlet"] == DOMAIN and summary["learned"] > 0
    shown = cli("boilerplate", "show", "--outlet", OUTLET)
    assert shown.returncode == 0 and PROMO[:60] in shown.stdout
    page = data_dir / "page.html"
    page.write_bytes(_with_promo(render_page(entries[3].source), 3))
    plain = cli("extract", str(page), "--url", entries[3].url)
    applied = cli("extract", str(page), "--url", entries[3].url, "--learned")
    assert PROMO in json.loads(plain.stdout)["body"]
    assert PROMO not in json.loads(applied.stdout)["body"]
