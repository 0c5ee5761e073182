"""Property test: hundreds of seeded variants per template extract right.

Each variant is a corpus article rendered in one of its template's layouts and varied by the
seeded mutator (``mutator.py``: wrappers, renamed classes, bare ``<div>`` paragraphs, scripts
in the body, ad blocks with other ids, related boxes and "Dòng sự kiện" inside the body, the
byline as the body's last child, two ``<h1>``, dates only as visible text, no JSON-LD, NFD
text). As in production, extraction gets the boilerplate learned from the outlet's other
archived pages (here: its current desktop pages). For every variant: no boilerplate string
in sapo or body, body recall ≥ 0.98, title, publication date and authors exactly right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from mutator import make_variant

from benchmarks import scoring
from crawler.extraction import extract
from crawler.extraction.dom import parse
from crawler.extraction.learned import BlockCounter, LearnedBoilerplate, page_block_texts
from crawler.fakeoutlets import get_site, render_page
from crawler.fakeoutlets.corpus import Corpus

if TYPE_CHECKING:
    from crawler.fakeoutlets.corpus import Entry

TEMPLATES = ("epi", "onecms", "tagdiv", "haugiang", "cantho")
VARIANTS_PER_TEMPLATE = 200
RECALL_FLOOR = 0.98


@dataclass
class Setup:
    entries: list[Entry]
    by_outlet: dict[str, list[Entry]]
    learned: dict[str, LearnedBoilerplate]


@pytest.fixture(scope="module")
def setup() -> Setup:
    corpus = Corpus(articles_per_outlet=24)
    entries = corpus.synthetic()
    by_outlet: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_outlet[entry.source.outlet].append(entry)
    learned = {}
    for outlet, items in by_outlet.items():
        counter = BlockCounter()
        for entry in items:
            counter.add(page_block_texts(parse(render_page(entry.source))))
        learned[outlet] = counter.result(get_site(outlet).domain)
    return Setup(entries, by_outlet, learned)


def seed_of(template: str, number: int) -> int:
    return number * 7919 + sum(map(ord, template))


def problems(setup: Setup, template: str, number: int) -> list[str]:
    pool = [e for e in setup.entries if get_site(e.source.outlet).template == template]
    entry = pool[number % len(pool)]
    others = [
        (e.source.title, e.url) for e in setup.by_outlet[entry.source.outlet] if e is not entry
    ]
    variant = make_variant(entry.source, others, seed_of(template, number))
    article = extract(variant.html, variant.url, learned=setup.learned[entry.source.outlet])
    text = "\n".join(part for part in (article.sapo, article.body) if part)
    found: list[str] = []
    leaks = scoring.count_leaks(text, variant.needles, variant.gold_text)
    if leaks:
        found.append(f"leaked {leaks}")
    recall = scoring.match(variant.gold_text, text).recall
    if recall < RECALL_FLOOR:
        found.append(f"body recall {recall:.3f}")
    if article.title != variant.source.title:
        found.append(f"title {article.title!r}")
    if not scoring.date_matches(variant.source.published_at, article.published_at):
        found.append(f"date {article.published_at} for {variant.source.published_at}")
    if article.authors != list(variant.source.authors):
        found.append(f"authors {article.authors} for {list(variant.source.authors)}")
    return [f"{variant.label}: {p}" for p in found]


@pytest.mark.parametrize("template", TEMPLATES)
def test_seeded_variants_extract_right(setup: Setup, template: str) -> None:
    failures = [
        problem
        for number in range(VARIANTS_PER_TEMPLATE)
        for problem in problems(setup, template, number)
    ]
    assert not failures, "\n".join(failures[:20])


def test_the_mutator_really_varies_the_pages(setup: Setup) -> None:
    entry = setup.entries[0]
    others = [(e.source.title, e.url) for e in setup.by_outlet[entry.source.outlet][1:]]
    pages = {make_variant(entry.source, others, seed).html for seed in range(30)}
    assert len(pages) == 30
    applied = {
        name for seed in range(60) for name in make_variant(entry.source, others, seed).applied
    }
    layouts = {make_variant(entry.source, others, seed).layout for seed in range(30)}
    assert len(applied) == 13 and layouts == {"desktop", "mobile", "legacy"}
