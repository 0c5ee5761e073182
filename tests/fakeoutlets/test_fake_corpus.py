"""The fake-outlet corpus: deterministic, fast, unique, not near-duplicate, extractable."""

from __future__ import annotations

import itertools
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from crawler.extraction import extract
from crawler.fakeoutlets import render_article
from crawler.fakeoutlets.corpus import FIXED_NOW, Corpus
from crawler.fakeoutlets.sites import SITES
from crawler.outlets import get_profile

if TYPE_CHECKING:
    from crawler.fakeoutlets.source import ArticleSource


@pytest.fixture(scope="module")
def small_corpus() -> Corpus:
    return Corpus(40)


def _gold_body(source: ArticleSource) -> list[str]:
    return source.body_lines()


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def test_corpus_is_deterministic() -> None:
    first, second = Corpus(15), Corpus(15)
    assert first.urls() == second.urls()
    for a, b in zip(first.synthetic()[::7], second.synthetic()[::7], strict=True):
        assert a.source == b.source
    assert Corpus(15, seed=7).urls() != first.urls()


def test_corpus_holds_fixtures_and_synthetic_articles(small_corpus: Corpus) -> None:
    for outlet in small_corpus.outlets:
        assert len(small_corpus.fixtures(outlet)) == 3
        assert len(small_corpus.synthetic(outlet)) == 40
    assert len(small_corpus) == 8 * 43


def test_titles_and_urls_unique_and_in_the_outlets_scheme(small_corpus: Corpus) -> None:
    urls = small_corpus.urls()
    assert len(urls) == len(set(urls))
    for outlet in small_corpus.outlets:
        profile = get_profile(outlet)
        titles = [e.title for e in small_corpus.entries(outlet)]
        assert len(titles) == len(set(titles))
        for entry in small_corpus.entries(outlet):
            assert entry.url.startswith(f"https://{profile.domain}/")
            assert profile.is_article_url(entry.path), entry.url


def test_synthetic_records_are_well_formed(small_corpus: Corpus) -> None:
    years = set()
    for entry in small_corpus.synthetic():
        source = entry.source
        source.validate()
        assert 4 <= sum(b.type == "p" for b in source.blocks) <= 12
        assert source.sapo and source.byline and source.authors and source.tags
        assert source.published_at.endswith("+07:00")
        assert source.published <= FIXED_NOW
        if source.modified is not None:
            assert source.modified > source.published
        assert source.category in {s.name for s in SITES[entry.outlet].sections} | {"Chính trị"}
        years.add(source.published.year)
    assert {2019, 2022, 2025, 2026} <= years
    recent = [e for e in small_corpus.synthetic() if (FIXED_NOW - e.published).days < 3]
    assert len(recent) >= 8 * 2


def test_building_is_fast() -> None:
    Corpus(1)  # text pools are read once per process
    started = time.perf_counter()
    corpus = Corpus(1000)
    elapsed = time.perf_counter() - started
    assert len(corpus) == 8 * 1003
    assert 8000 / elapsed >= 5000, f"{8000 / elapsed:.0f} articles/s"


def test_synthetic_articles_are_not_near_duplicates(small_corpus: Corpus) -> None:
    sample = small_corpus.synthetic()[::4]
    shingles = [_shingles(" ".join(_gold_body(e.source)) + " " + (e.sapo or "")) for e in sample]
    worst = 0.0
    for a, b in itertools.combinations(shingles, 2):
        worst = max(worst, len(a & b) / len(a | b))
    assert worst < 0.25, worst


def test_one_syndicated_story_on_two_outlets(small_corpus: Corpus) -> None:
    assert len(small_corpus.syndicated_pairs) == 1
    first_url, second_url = small_corpus.syndicated_pairs[0]
    first, second = small_corpus.get(first_url), small_corpus.get(second_url)
    assert first is not None and second is not None
    assert {first.outlet, second.outlet} == {"baohaugiang", "baocantho"}
    assert first.title != second.title
    assert first.source.sapo != second.source.sapo
    a, b = (
        _shingles(" ".join(_gold_body(first.source))),
        _shingles(" ".join(_gold_body(second.source))),
    )
    assert len(a & b) / len(a | b) > 0.8


def test_add_and_update_articles() -> None:
    corpus = Corpus(5)
    version = corpus.version
    added = corpus.add_articles("baohatinh", 3)
    assert corpus.version > version
    assert [e.url for e in corpus.entries("baohatinh")[:3]] == [s.url for s in added] or {
        e.url for e in corpus.entries("baohatinh")[:3]
    } == {s.url for s in added}
    assert all(s.modified_at is None for s in added)
    target = corpus.synthetic("baonghean")[-1]
    before = target.source
    after = corpus.update_article(target.url)
    assert after.modified is not None and after.modified > (before.modified or before.published)
    assert after.blocks != before.blocks
    assert corpus.get(target.url) is not None
    assert corpus.get(target.url).source == after  # type: ignore[union-attr]
    when = datetime.fromisoformat("2026-02-11T08:00:00+07:00")
    again = corpus.update_article(target.url, text="Đoạn văn đã sửa.", modified_at=when)
    assert again.modified == when
    assert "Đoạn văn đã sửa." in [b.text for b in again.blocks]


@pytest.mark.parametrize("outlet", sorted(SITES))
def test_extractor_reads_synthetic_pages_perfectly(small_corpus: Corpus, outlet: str) -> None:
    for entry in small_corpus.synthetic(outlet)[::5]:
        source = entry.source
        html = render_article(source, SITES[outlet], entry.options)
        article = extract(html, source.url)
        assert article.title == source.title
        assert article.sapo == source.sapo
        assert (article.body or "").split("\n") == _gold_body(source)
        assert article.authors == list(source.authors)
        assert article.category == source.category
        assert article.tags == list(source.tags)
        assert article.published_at is not None
        assert datetime.fromisoformat(article.published_at) == source.published
