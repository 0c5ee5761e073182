"""Evaluation gate: extraction quality may not drop below pinned floors.

The floors sit just under the scores measured when they were pinned (README, "Extraction
quality"); a change that loses text on the published benchmarks, on the real pages, or breaks
an outlet, fails CI. Per-page checks of the real pages are in ``test_real_pages.py``; these
are the corpus-level scores the issue's targets are stated in.
"""

from __future__ import annotations

from benchmarks import extraction_quality as bench
from benchmarks import real_pages, scoring
from crawler.extraction import extract, extract_page

BENCHMARK_F1_FLOOR = 0.966  # measured 0.968; bare trafilatura 0.958 on the same pages
FUNDUS_F1_FLOOR = 0.943  # measured 0.945; bare trafilatura 0.941
FIXTURES_F1_FLOOR = 0.99  # measured 1.000
REAL_F1_FLOOR = 0.99  # measured 0.999 (target 0.98)
REAL_CAPTIONS_FLOOR = 0.95  # measured 1.000 (target 0.90)


def _f1(pages: list[bench.Page]) -> float:
    counts = []
    for page in pages:
        article = extract(page.html, page.url)
        text = "\n".join(part for part in (article.sapo, article.body) if part)
        counts.append(scoring.match(page.gold_text, text))
    return scoring.aggregate(counts).f1


def test_published_benchmark_f1_stays_above_floor() -> None:
    pages = bench.load_benchmark(bench.DEFAULT_BENCHMARK, None)
    assert len(pages) == 181
    assert _f1(pages) >= BENCHMARK_F1_FLOOR


def test_fundus_evaluation_f1_stays_above_floor() -> None:
    pages = bench.load_fundus(bench.DEFAULT_FUNDUS, None)
    assert len(pages) == 80
    assert _f1(pages) >= FUNDUS_F1_FLOOR


def test_fixture_f1_stays_above_floor() -> None:
    pages = bench.load_fixtures(bench.DEFAULT_FIXTURES, None)
    assert len(pages) >= 24
    assert _f1(pages) >= FIXTURES_F1_FLOOR


def test_real_article_pages_meet_the_targets() -> None:
    counts = []
    expected = found = 0
    fields_right = {"title": 0, "date": 0, "authors": 0}
    articles = [p for p in real_pages.load_real_pages() if p.kind == real_pages.ARTICLE]
    assert len(articles) >= 15
    for page in articles:
        article = extract_page(page.html, page.url).article
        assert article is not None, page.id
        score = real_pages.score_article(
            page,
            title=article.title,
            sapo=article.sapo,
            body=article.body,
            authors=article.authors,
            published_at=article.published_at,
            captions=[i["caption"] for i in article.images],
        )
        counts.append(score.counts)
        assert not score.leaks, (page.id, score.leaks)
        fields_right["title"] += score.title
        fields_right["date"] += score.date
        fields_right["authors"] += score.authors
        expected += score.captions_expected
        found += score.captions_found
    assert scoring.aggregate(counts).f1 >= REAL_F1_FLOOR
    assert fields_right["title"] == fields_right["date"] == len(articles)
    assert fields_right["authors"] >= 0.95 * len(articles)
    assert found >= REAL_CAPTIONS_FLOOR * expected
