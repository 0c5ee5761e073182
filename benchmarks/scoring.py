"""Metric code shared by the benchmarks.

Body text is scored with the metric of scrapinghub/article-extraction-benchmark (the one its
``evaluate.py`` computes and its README reports):

* tokens are the ``\\w+`` matches of the text (Unicode, case kept);
* shingles are the runs of 4 consecutive tokens, counted as a multiset; a text of 1 to 3
  tokens has exactly one, shorter, shingle (all its tokens) and an empty text has none;
* per page, tp is the multiset intersection of gold and predicted shingles, fp what the
  prediction has in excess, fn what the gold has in excess; the three are then divided by
  their sum so that every page weighs the same whatever its length (all stay 0 when both
  texts are empty);
* a page's precision is tp/(tp+fp) and its recall tp/(tp+fn), both 1 when fp = fn = 0;
* the precision of a system is the mean over the pages with tp+fp > 0 (pages where it
  predicted nothing are left out), its recall the mean over the pages with tp+fn > 0; F1 is
  the harmonic mean of these two means (not a mean of per-page F1s).

Where upstream would divide by zero (no page qualifies for a mean) the mean is 0.0 here, and
F1 is 0.0 when precision + recall is 0.

The module also holds the field comparisons of the fixture benchmark (title, date, authors
and boilerplate leaks); see the functions' docstrings for their rules.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

SHINGLE_SIZE = 4

_TOKEN_RE = re.compile(r"\w+")

Shingle = tuple[str, ...]


@dataclass(frozen=True)
class PageCounts:
    """Normalised shingle overlap of one page: tp + fp + fn is 1, or all are 0."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        """Page precision; 1 when nothing is wrong, 0 when nothing was predicted."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """Page recall; 1 when nothing is wrong, 0 when the gold is empty but not the guess."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fn == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)


@dataclass(frozen=True)
class BodyScores:
    """Corpus-level body-text scores."""

    precision: float
    recall: float
    f1: float
    pages: int


def tokenize(text: str | None) -> list[str]:
    """The ``\\w+`` tokens of ``text`` (None counts as empty)."""
    return _TOKEN_RE.findall(text or "")


def shingles(text: str | None, n: int = SHINGLE_SIZE) -> Counter[Shingle]:
    """The multiset of ``n``-token shingles of ``text``.

    A text with fewer than ``n`` tokens (but at least one) yields a single shorter shingle.
    """
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) <= n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def match(gold: str | None, predicted: str | None, n: int = SHINGLE_SIZE) -> PageCounts:
    """tp/fp/fn of ``predicted`` against ``gold``, normalised to sum 1 (or all 0)."""
    gold_shingles = shingles(gold, n)
    pred_shingles = shingles(predicted, n)
    tp = sum((gold_shingles & pred_shingles).values())
    fp = sum((pred_shingles - gold_shingles).values())
    fn = sum((gold_shingles - pred_shingles).values())
    total = tp + fp + fn
    if total == 0:
        return PageCounts(0.0, 0.0, 0.0)
    return PageCounts(tp / total, fp / total, fn / total)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def aggregate(pages: Sequence[PageCounts]) -> BodyScores:
    """Corpus precision, recall and F1 of per-page counts (see the module docstring)."""
    precision = _mean([p.precision for p in pages if p.tp + p.fp > 0])
    recall = _mean([p.recall for p in pages if p.tp + p.fn > 0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return BodyScores(precision=precision, recall=recall, f1=f1, pages=len(pages))


def score_texts(gold: Mapping[str, str], predicted: Mapping[str, str | None]) -> BodyScores:
    """Score predicted texts against gold texts, both keyed by page id.

    Every gold page counts; a page missing from ``predicted`` counts as an empty prediction.
    """
    return aggregate([match(gold[key], predicted.get(key)) for key in sorted(gold)])


def load_article_bodies(path: Path) -> dict[str, str]:
    """``{id: articleBody}`` of a ground-truth or output file of article-extraction-benchmark.

    Output files may be wrapped as ``{"version": ..., "output": {id: {...}}}``.
    """
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("output"), dict):
        data = data["output"]
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of pages")
    bodies: dict[str, str] = {}
    for key, item in data.items():
        body = item.get("articleBody") if isinstance(item, dict) else None
        bodies[str(key)] = body if isinstance(body, str) else ""
    return bodies


# --- field comparisons -------------------------------------------------------------------

VIETNAM_TZ = timezone(timedelta(hours=7))

_WHITESPACE_RE = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """NFC, whitespace runs collapsed to one space, stripped; case kept."""
    if text is None:
        return ""
    return _WHITESPACE_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def title_matches(gold: str | None, predicted: str | None) -> bool:
    """Exact title match after :func:`fold`; a missing title never matches a real one."""
    return fold(gold) == fold(predicted)


def _parse_when(value: str) -> date | datetime:
    """A date for date-only strings, an aware datetime otherwise (naive ones get +07:00)."""
    value = value.strip()
    if "T" not in value and " " not in value:
        return date.fromisoformat(value[:10])
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM_TZ)
    return parsed


def date_matches(gold: str | None, predicted: str | None) -> bool:
    """Whether ``predicted`` is the page's own publication time, to the page's precision.

    * Gold with a time of day: the prediction must carry a time too and be the same instant
      (offsets may differ). A date-only prediction is wrong, even on the right day.
    * Gold date-only (no ``T``): the prediction is right when its calendar date, in its own
      offset, is the gold date.
    * Naive predicted times are read as Vietnam time (+07:00), the outlets' zone.
    * No gold and no prediction is right; exactly one of them missing, or an unparsable
      prediction, is wrong.
    """
    if not gold:
        return not predicted
    if not predicted:
        return False
    gold_when = _parse_when(gold)
    try:
        pred_when = _parse_when(predicted)
    except ValueError:
        return False
    if isinstance(gold_when, datetime):
        return isinstance(pred_when, datetime) and pred_when == gold_when
    if isinstance(pred_when, datetime):
        return pred_when.date() == gold_when
    return pred_when == gold_when


def authors_match(gold: Iterable[str], predicted: Iterable[str]) -> bool:
    """Same set of author names after NFC and whitespace folding (case-sensitive)."""
    gold_set = {fold(name) for name in gold} - {""}
    pred_set = {fold(name) for name in predicted} - {""}
    return gold_set == pred_set


BOILERPLATE_STRINGS: tuple[str, ...] = (
    "Đọc thêm",
    "Tin liên quan",
    "Tin cùng chuyên mục",
    "Tin mới",
    "Xem thêm",
    "Viết bình luận",
    "Go top",
    "Thống kê truy cập",
    "Tổng lượt truy cập",
    "bình chọn",
    "THÔNG TIN CẦN BIẾT",
    "Điểm tin sáng",
    "Sự kiện nổi bật",
    "Chia sẻ",
)
"""Outlet chrome that must never reach an article's text."""


def count_leaks(text: str | None, needles: Iterable[str], gold_text: str) -> dict[str, int]:
    """Occurrences of each needle in ``text`` beyond those in the gold text.

    Matching is case-sensitive on NFC text. A needle that the article itself contains (a
    caption repeated verbatim in a paragraph, "Chia sẻ" opening a sentence) only counts where
    the prediction has it more often than the gold text, so genuine article text is never a
    leak. Blank needles are ignored. Returns only the needles that leaked, with their counts.
    """
    haystack = unicodedata.normalize("NFC", text or "")
    gold = unicodedata.normalize("NFC", gold_text)
    leaks: dict[str, int] = {}
    for raw in dict.fromkeys(needles):
        needle = unicodedata.normalize("NFC", raw).strip()
        if not needle:
            continue
        excess = haystack.count(needle) - gold.count(needle)
        if excess > 0:
            leaks[needle] = excess
    return leaks
