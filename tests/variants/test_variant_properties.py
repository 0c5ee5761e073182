"""Property test: hundreds of seeded variants per template extract right.

Each variant is a corpus article rendered in one of its template's layouts and varied by the
seeded mutator (``mutator.py``: wrappers, renamed classes, bare ``<div>`` paragraphs, scripts
in the body, ad blocks with other ids, related boxes and "Dòng sự kiện" inside the body, the
byline as the body's last child, two ``<h1>``, dates only as visible text, no JSON-LD, NFD
text). As in production, extraction gets the boilerplate learned from the outlet's other
archived pages (``variant_sets.py``). For every variant: no boilerplate string in sapo or
body, body recall ≥ 0.98, title, publication date and authors exactly right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from variant_sets import TEMPLATES, archive, variant

from benchmarks import scoring
from crawler.extraction import extract

if TYPE_CHECKING:
    from mutator import Variant

    from crawler.extraction.learned import LearnedBoilerplate

VARIANTS_PER_TEMPLATE = 200
RECALL_FLOOR = 0.98


def problems(item: Variant, learned: LearnedBoilerplate) -> list[str]:
    """What is wrong with the extraction of one variant (empty when nothing)."""
    article = extract(item.html, item.url, learned=learned)
    text = "\n".join(part for part in (article.sapo, article.body) if part)
    found: list[str] = []
    leaks = scoring.count_leaks(text, item.needles, item.gold_text)
    if leaks:
        found.append(f"leaked {leaks}")
    recall = scoring.match(item.gold_text, text).recall
    if recall < RECALL_FLOOR:
        found.append(f"body recall {recall:.3f}")
    if article.title != item.source.title:
        found.append(f"title {article.title!r}")
    if not scoring.date_matches(item.source.published_at, article.published_at):
        found.append(f"date {article.published_at} for {item.source.published_at}")
    if article.authors != list(item.source.authors):
        found.append(f"authors {article.authors} for {list(item.source.authors)}")
    return [f"{item.label}: {p}" for p in found]


@pytest.mark.parametrize("template", TEMPLATES)
def test_seeded_variants_extract_right(template: str) -> None:
    failures = [
        problem
        for number in range(VARIANTS_PER_TEMPLATE)
        for problem in problems(*variant(template, number))
    ]
    assert not failures, "\n".join(failures[:20])


def test_the_mutator_really_varies_the_pages() -> None:
    items = [variant("epi", number)[0] for number in range(60)]
    assert len({item.html for item in items}) == 60
    assert len({name for item in items for name in item.applied}) == 13
    assert {item.layout for item in items} == {"desktop", "mobile", "legacy"}
    assert archive().learned["baohatinh"].fingerprints  # the archive teaches something
