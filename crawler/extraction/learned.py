"""Boilerplate learned from the archive: what it is, and how a page is cut into blocks for it.

Text blocks that recur, word for word, on many pages of one outlet are not article text:
sidebars, footers, visitor counters, newsletter boxes, a promo line the newsroom pastes under
every story. No rule names them; the archive shows them. :mod:`crawler.storage.boilerplate`
counts block fingerprints over an outlet's archived pages and stores the frequent ones;
extraction receives them as a :class:`LearnedBoilerplate` argument (extraction stays a pure
function of its inputs and never queries the database) and drops matching blocks from the
body, on the profiled and the generic path alike.

Fingerprints fold case, white space and digits ("Tổng lượt truy cập: 13151194" on one page
and "…: 13151207" on the next are the same counter).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.extraction.blocks import read_body
from crawler.extraction.structure import strip_never_text
from crawler.extraction.text import fold

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w]+")

MIN_BLOCK_CHARS = 3
"""Shorter blocks ("|", "»") are not fingerprinted: they say nothing either way."""


def fingerprint(text: str) -> str:
    """A block's fingerprint: its words, case-folded, digit runs as "0", hashed (16 hex)."""
    words = _NON_WORD.sub(" ", _DIGITS.sub("0", fold(text).casefold())).strip()
    return hashlib.blake2b(words.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class LearnedBoilerplate:
    """What the archive taught about one outlet's boilerplate."""

    outlet: str
    """The outlet's domain (``Article.outlet``)."""

    fingerprints: frozenset[str] = frozenset()
    """Fingerprints of blocks that recur on many of the outlet's pages."""

    titles: frozenset[str] = frozenset()
    """Fingerprints of the titles of the outlet's stored articles: a body block that is
    another article's title is a related-news link."""

    samples: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Fingerprint → one text it was learned from (for explanations)."""

    @property
    def digest(self) -> str:
        """A short digest of what was learned: part of the extractor version, so articles
        extracted before a (re)learning are found by ``crawler reextract``."""
        if not self.fingerprints:
            return ""
        joined = "\n".join(sorted(self.fingerprints))
        return hashlib.blake2b(joined.encode("ascii"), digest_size=4).hexdigest()

    def is_boilerplate(self, text: str) -> bool:
        """Whether a block of this outlet's pages is learned boilerplate."""
        return len(text) >= MIN_BLOCK_CHARS and fingerprint(text) in self.fingerprints

    def is_other_title(self, text: str, own_title: str | None) -> bool:
        """Whether a block is the title of another stored article of the outlet."""
        if not self.titles or len(text) > 250 or len(text.split()) < 4:
            return False
        key = fingerprint(text)
        return key in self.titles and (own_title is None or fingerprint(own_title) != key)


def page_block_texts(root: HtmlElement) -> list[str]:
    """Every text block of a whole page, as the extractor would cut them (for learning)."""
    body = next(iter(root.iter("body")), None)
    if body is None:
        return []
    strip_never_text(body)
    content = read_body(body, (), "http://localhost/")
    return [b.text for b in content.text_blocks() if len(b.text) >= MIN_BLOCK_CHARS]


MIN_PAGES = 5
"""A block must appear on at least this many sampled pages..."""

MIN_SHARE = 0.05
"""... and on at least this share of them, to be learned as boilerplate."""

MIN_SAMPLE = 20
"""An outlet with fewer sampled pages learns nothing."""


def threshold_for(sampled: int) -> int:
    """Pages a block must appear on to be learned, for a sample of this size."""
    return max(MIN_PAGES, math.ceil(MIN_SHARE * sampled))


@dataclass
class BlockCounter:
    """Counts, over an outlet's pages, on how many pages each block appears."""

    pages: int = 0
    """Pages added."""

    counts: Counter[str] = field(default_factory=Counter)
    """Fingerprint → pages it appeared on."""

    texts: dict[str, str] = field(default_factory=dict)
    """Fingerprint → the first text seen with it."""

    def add(self, block_texts: Iterable[str]) -> None:
        """One page's blocks (:func:`page_block_texts`)."""
        self.pages += 1
        on_page: set[str] = set()
        for text in block_texts:
            key = fingerprint(text)
            if key not in on_page:
                on_page.add(key)
                self.texts.setdefault(key, text)
        self.counts.update(on_page)

    @property
    def threshold(self) -> int:
        """Pages a block must appear on to be learned from this sample."""
        return threshold_for(self.pages)

    def learned(self) -> dict[str, int]:
        """Fingerprint → pages, of the blocks frequent enough (nothing below
        :data:`MIN_SAMPLE` pages)."""
        if self.pages < MIN_SAMPLE:
            return {}
        return {key: n for key, n in self.counts.items() if n >= self.threshold}

    def result(self, outlet: str) -> LearnedBoilerplate:
        """What was learned, ready for extraction (no titles: those come from storage)."""
        learned = self.learned()
        return LearnedBoilerplate(
            outlet=outlet,
            fingerprints=frozenset(learned),
            samples={key: self.texts[key] for key in learned},
        )
