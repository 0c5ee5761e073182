"""Real pages saved from the outlets, with expected JSON written by reading them.

``tests/fixtures/real/<host>/<name>.html`` (or ``.html.gz``) holds a page byte for byte as a
public scraper saved it; ``<name>.expected.json`` what a perfect extractor returns (format:
the ``kind``, and for articles ``title``, ``sapo``, ``body`` paragraphs, ``authors``,
``published_at``, ``captions`` and ``boilerplate`` strings that must not leak). This module
loads them and scores one extraction against one page; the parametrised test
(``tests/test_real_pages.py``), the quality gate and ``benchmarks/extraction_quality.py`` all
use it, so they agree on what "right" means.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import scoring

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REAL = ROOT / "tests" / "fixtures" / "real"

ARTICLE = "article"
NON_ARTICLE_KINDS = frozenset({"soft404", "video", "podcast", "emagazine", "listing", "gallery"})


@dataclass
class RealPage:
    """One saved page and its expected extraction."""

    id: str
    """``<host>/<name>``."""

    url: str
    """The page's real URL."""

    kind: str
    """``"article"`` or a non-article kind."""

    html: bytes
    """The page's bytes as saved."""

    expected: dict[str, Any]
    """The expected JSON."""

    @property
    def gold_text(self) -> str:
        """Sapo then body paragraphs, one a line (what body F1 is scored against)."""
        lines = [self.expected.get("sapo") or "", *(self.expected.get("body") or [])]
        return "\n".join(line for line in lines if line)

    @property
    def boilerplate(self) -> list[str]:
        """Strings of the page that must not appear in the extracted sapo or body."""
        return [str(s) for s in self.expected.get("boilerplate") or []]

    @property
    def captions(self) -> list[str]:
        """The expected picture captions, in order."""
        return [str(c) for c in self.expected.get("captions") or []]


def load_real_pages(root: Path = DEFAULT_REAL) -> list[RealPage]:
    """Every page with an expected JSON under ``root``, sorted by id."""
    pages: list[RealPage] = []
    for expected_path in sorted(root.glob("*/*.expected.json")):
        stem = expected_path.name.removesuffix(".expected.json")
        plain = expected_path.with_name(f"{stem}.html")
        packed = expected_path.with_name(f"{stem}.html.gz")
        if plain.is_file():
            html = plain.read_bytes()
        elif packed.is_file():
            html = gzip.decompress(packed.read_bytes())
        else:
            raise FileNotFoundError(f"{expected_path} has no page beside it")
        expected: dict[str, Any] = json.loads(expected_path.read_text(encoding="utf-8"))
        pages.append(
            RealPage(
                id=f"{expected_path.parent.name}/{stem}",
                url=str(expected["url"]),
                kind=str(expected["kind"]),
                html=html,
                expected=expected,
            )
        )
    return pages


def distinct_captions(captions: list[str | None]) -> list[str]:
    """Captions in order, once each where pictures of a gallery share one."""
    out: list[str] = []
    for caption in captions:
        if caption and (not out or out[-1] != caption):
            out.append(caption)
    return out


@dataclass
class ArticleScore:
    """How one extracted article compares with a real page's expected JSON."""

    counts: scoring.PageCounts
    """Shingle overlap with the expected sapo and body (for corpus scores)."""

    title: bool
    date: bool
    authors: bool
    leaks: dict[str, int] = field(default_factory=dict)
    captions_expected: int = 0
    captions_found: int = 0
    captions_extra: int = 0

    @property
    def precision(self) -> float:
        """Body precision of this page."""
        return self.counts.precision

    @property
    def recall(self) -> float:
        """Body recall of this page."""
        return self.counts.recall

    @property
    def f1(self) -> float:
        """Body F1 of this page."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def captions_exact(self) -> bool:
        """Every expected caption found and none invented."""
        return self.captions_found == self.captions_expected and self.captions_extra == 0


def score_article(
    page: RealPage,
    *,
    title: str | None,
    sapo: str | None,
    body: str | None,
    authors: list[str],
    published_at: str | None,
    captions: list[str | None],
) -> ArticleScore:
    """Score one extraction of an article page (see the module docstring)."""
    text = "\n".join(part for part in (sapo, body) if part)
    counts = scoring.match(page.gold_text, text)
    found = distinct_captions(captions)
    expected = distinct_captions(list(page.captions))
    folded_found = [scoring.fold(c) for c in found]
    hits = sum(1 for c in expected if scoring.fold(c) in folded_found)
    extra = sum(1 for c in found if scoring.fold(c) not in {scoring.fold(e) for e in expected})
    return ArticleScore(
        counts=counts,
        title=scoring.title_matches(page.expected.get("title"), title),
        date=scoring.date_matches(page.expected.get("published_at"), published_at),
        authors=scoring.authors_match(page.expected.get("authors") or [], authors),
        leaks=scoring.count_leaks(text, page.boilerplate, page.gold_text),
        captions_expected=len(expected),
        captions_found=hits,
        captions_extra=extra,
    )
