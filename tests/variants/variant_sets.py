"""The seeded variant sets, shared by the property test and the quality benchmark.

Test-only machinery. ``variant_set(template, count)`` gives ``count`` variants of one CMS
template's outlets (corpus articles rendered in a random layout, then mutated by
:mod:`mutator`), each with the boilerplate its outlet's archive would have taught (learned
from the outlet's other pages in their current desktop layout), so extraction runs as in
production.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from mutator import Variant, make_variant

from crawler.extraction.dom import parse
from crawler.extraction.learned import BlockCounter, LearnedBoilerplate, page_block_texts
from crawler.fakeoutlets import get_site, render_page
from crawler.fakeoutlets.corpus import Corpus, Entry

TEMPLATES = ("epi", "onecms", "tagdiv", "haugiang", "cantho")
"""Every CMS template the fake outlets render."""

ARTICLES_PER_OUTLET = 24


@dataclass(frozen=True)
class Archive:
    """A corpus and what each outlet's archive of it teaches."""

    entries: tuple[Entry, ...]
    by_outlet: dict[str, tuple[Entry, ...]]
    learned: dict[str, LearnedBoilerplate]


@cache
def archive() -> Archive:
    """The corpus of the variant sets, built once per process."""
    entries = tuple(Corpus(articles_per_outlet=ARTICLES_PER_OUTLET).synthetic())
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.source.outlet].append(entry)
    learned = {}
    for outlet, items in grouped.items():
        counter = BlockCounter()
        for entry in items:
            counter.add(page_block_texts(parse(render_page(entry.source))))
        learned[outlet] = counter.result(get_site(outlet).domain)
    return Archive(entries, {k: tuple(v) for k, v in grouped.items()}, learned)


def seed_of(template: str, number: int) -> int:
    """The seed of a template's variant number ``number`` (stable across processes)."""
    return number * 7919 + sum(map(ord, template))


def variant(template: str, number: int) -> tuple[Variant, LearnedBoilerplate]:
    """One variant of a template's outlets and its outlet's learned boilerplate."""
    corpus = archive()
    pool = [e for e in corpus.entries if get_site(e.source.outlet).template == template]
    entry = pool[number % len(pool)]
    outlet = entry.source.outlet
    others = [(e.source.title, e.url) for e in corpus.by_outlet[outlet] if e is not entry]
    return make_variant(entry.source, others, seed_of(template, number)), corpus.learned[outlet]


def variant_set(
    template: str, count: int, start: int = 0
) -> list[tuple[Variant, LearnedBoilerplate]]:
    """Variants ``start`` to ``start + count`` of a template."""
    return [variant(template, number) for number in range(start, start + count)]
