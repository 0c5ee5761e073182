"""Fields cross-checked between the sources a page offers, not taken from one selector.

**Title.** The headline as shown on the page, confirmed by the page's metadata: every ``h1``
and every match of the template's title selectors is a visible candidate; JSON-LD
``headline``/``name``, ``og:title``, ``twitter:title`` and ``<title>`` (also with the site
name cut off, and each part between separators) are metadata candidates. A visible candidate
that is a breadcrumb trail ("THỜI SỰ > Cần Thơ"), a section or site name, or a run of links to
section pages is rejected and can never win. Among the rest, the one most metadata sources
agree with wins; with no agreement, the template's own selector wins, then the metadata
value most sources share.

**Date.** Every source is parsed (JSON-LD, ``<meta>``, the template's date element, the
visible date printed nearest the headline) and the most precise one that names the same day
as the most trusted wins (:func:`crawler.extraction.dates.most_precise`).

**Authors.** The first source that names people, visible ones first (names as printed): the
template's author element, the byline paragraph, generic author markup; then JSON-LD
``author`` persons and ``<meta name=author>``. Names
are split ("A, B", "A và B", "A - B"), capitals tamed, and organisations (the outlet, "Báo …",
news agencies) rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.extraction.bylines import split_authors
from crawler.extraction.dates import (
    ParsedDate,
    Precision,
    most_precise,
    parse_any,
    parse_visible,
)
from crawler.extraction.dom import compiled, text_of
from crawler.extraction.explain import Candidate, FieldChoice
from crawler.extraction.text import fold

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import tzinfo

    from lxml.html import HtmlElement

    from crawler.extraction.dom import SelectorIndex
    from crawler.extraction.explain import Explanation
    from crawler.extraction.metadata import PageMetadata
    from crawler.extraction.structure import LinkJudge

_SEPARATORS = (" - ", " | ", " – ", " — ", " :: ", " : ", " » ")
_CRUMB_SEPARATOR = re.compile(r"\s(?:>|›|»|/|\||→)\s")
_NAV_CLASS = re.compile(r"breadcrumb|crumb|menu|\bnav\b|navbar|logo", re.IGNORECASE)
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=2048)
def title_key(text: str) -> str:
    """A title as compared between sources: its words, lower-case, NFC (memoised: the vote
    compares each candidate several times)."""
    return " ".join(_WORD.findall(fold(text).casefold()))


@dataclass
class _Title:
    source: str
    value: str
    group: str
    element: HtmlElement | None = None
    template: bool = False
    rejected: str | None = None
    votes: float = 0


NEAR_TITLE = 0.6
"""Word overlap (Jaccard) above which two titles are the same headline reworded."""


def _near(key: str, meta_keys: dict[str, set[str]]) -> bool:
    words = set(key.split())
    if len(words) < 3:
        return False
    for other in meta_keys:
        theirs = set(other.split())
        if theirs and len(words & theirs) / len(words | theirs) >= NEAR_TITLE:
            return True
    return False


def _site_names(meta: PageMetadata, extra: tuple[str, ...]) -> list[str]:
    names = [*extra, meta.first("og:site_name") or "", meta.first("application-name") or ""]
    publisher = meta.jsonld.get("publisher")
    if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        names.append(publisher["name"])
    return [fold(n) for n in names if n and fold(n)]


def _title_variants(value: str, site_names: list[str]) -> list[str]:
    """The value, without a site name at either end, and each part between separators."""
    return list(_variants(value, tuple(site_names)))


@lru_cache(maxsize=4096)
def _variants(value: str, site_names: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: a page's four or five metadata titles are mostly the same string, and pages
    # of one outlet share their site names.
    out = [value]
    lowered = value.casefold()
    for name in site_names:
        for sep in _SEPARATORS:
            suffix, prefix = f"{sep}{name}".casefold(), f"{name}{sep}".casefold()
            if lowered.endswith(suffix):
                out.append(value[: -len(suffix)].strip())
            if lowered.startswith(prefix):
                out.append(value[len(prefix) :].strip())
    for sep in _SEPARATORS:
        if sep in value:
            out.extend(part.strip() for part in value.split(sep) if part.strip())
    return tuple(dict.fromkeys(v for v in out if v))


def _in_navigation(element: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in ("nav", "header") and node is not element:
            return bool(node.tag == "nav")
        marker = f"{node.get('class') or ''} {node.get('id') or ''}"
        if _NAV_CLASS.search(marker) is not None:
            return True
        if node.tag == "body":
            break
    return False


def _reject_visible(
    candidate: _Title, section_names: set[str], judge: LinkJudge | None
) -> str | None:
    text = candidate.value
    if len(_WORD.findall(text)) == 0:
        return "no words"
    parts = [p for p in _CRUMB_SEPARATOR.split(text) if p.strip()]
    if len(parts) >= 2 and all(len(p.split()) <= 5 for p in parts):
        return "breadcrumb trail"
    if title_key(text) in section_names:
        return "section or site name"
    element = candidate.element
    if element is not None:
        if _in_navigation(element):
            return "inside navigation or breadcrumb markup"
        links = list(element.iter("a"))
        linked = sum(len(text_of(a)) for a in links)
        if links and linked >= 0.9 * len(text) and judge is not None:
            kinds = {judge.kind(str(a.get("href") or "")) for a in links}
            if "article" not in kinds:
                return "links to section pages"
    words = text.split()
    if len(words) <= 4 and len(text) <= 30 and text.isupper():
        return "short all-capitals label (a section name)"
    return None


def choose_title(
    root: HtmlElement,
    meta: PageMetadata,
    selectors: tuple[str, ...],
    *,
    site_names: tuple[str, ...] = (),
    section_names: tuple[str, ...] = (),
    judge: LinkJudge | None = None,
    explain: Explanation | None = None,
    index: SelectorIndex | None = None,
) -> tuple[str | None, HtmlElement | None]:
    """The headline and its element (None when it came from metadata only); ``index``, the
    page's :class:`~crawler.extraction.dom.SelectorIndex`, runs the selectors faster."""
    names = _site_names(meta, site_names)
    sections = {title_key(s) for s in (*section_names, *names) if title_key(s)}
    visible: list[_Title] = []
    seen: set[HtmlElement] = set()
    for selector in (*selectors, "h1"):
        if selector == "h1":
            found = root.iter("h1")
        else:
            found = index.select(selector) if index is not None else compiled(selector)(root)
        for element in found:
            if element in seen:
                continue
            seen.add(element)
            shown = text_of(element)
            if shown:
                template = selector in selectors and selector != "h1"
                visible.append(
                    _Title(f"selector {selector}", shown, "visible", element, template=template)
                )
    metadata: list[_Title] = []
    for source, declared in (
        ("json-ld headline", meta.jsonld_str("headline")),
        ("json-ld name", meta.jsonld_str("name")),
        ("og:title", meta.first("og:title")),
        ("twitter:title", meta.first("twitter:title")),
        ("<title>", meta.title_tag),
    ):
        if declared:
            metadata.append(_Title(source, declared, source.split()[0].split(":")[0]))

    variants = {cand.value: _title_variants(cand.value, names) for cand in metadata}
    meta_keys: dict[str, set[str]] = {}
    for cand in metadata:
        for variant in variants[cand.value]:
            meta_keys.setdefault(title_key(variant), set()).add(cand.group)
    if not any(title_key(c.value) in meta_keys for c in visible):
        visible.extend(_shown_elsewhere(root, meta_keys, seen))
    for cand in visible:
        cand.rejected = _reject_visible(cand, sections, judge)
        cand.votes = len(meta_keys.get(title_key(cand.value), set()))
        if not cand.votes and _near(title_key(cand.value), meta_keys):
            # The same headline worded a little differently in the metadata (an SEO title):
            # half a vote, enough to beat metadata but not an exact match.
            cand.votes = 0.5
    for cand in metadata:
        best = max(
            (len(meta_keys.get(title_key(v), set())) for v in variants[cand.value]),
            default=0,
        )
        cand.votes = float(best)
        if title_key(cand.value) in sections:
            cand.rejected = "section or site name"

    winner, reason = _pick_title(visible, metadata, names)
    value: str | None = winner.value if winner is not None else None
    if winner is not None and winner.group != "visible":
        value = _best_variant(winner.value, names, meta_keys)
    if explain is not None:
        explain.choose(
            "title",
            FieldChoice(
                value=value,
                source=winner.source if winner else None,
                reason=reason,
                candidates=[
                    Candidate(c.source, c.value, c.votes, c.rejected) for c in [*visible, *metadata]
                ],
            ),
        )
    return value, (winner.element if winner is not None else None)


_HEADLINE_TAGS = ("div", "h2", "h3", "p", "span", "strong", "header", "td")


def _shown_elsewhere(
    root: HtmlElement, meta_keys: dict[str, set[str]], seen: set[HtmlElement]
) -> list[_Title]:
    """Elements outside any ``h1`` that show a metadata title: the visible headline of a
    page that does not use ``h1`` for it (a ``div.title-detail``). The first one counts."""
    body = next(iter(root.iter("body")), None)
    if body is None:
        return []
    for element in body.iter(*_HEADLINE_TAGS):
        if element in seen or not element.text or len(element.text) < 10:
            continue
        key = title_key(element.text)
        if key in meta_keys and title_key(text_of(element)) == key:
            if (
                any(a.tag == "a" for a in element.iterancestors())
                or element.find(".//a") is not None
            ):
                continue  # a link to the article (a teaser), not its headline
            return [
                _Title(
                    f"element showing the metadata title <{element.tag}>",
                    text_of(element),
                    "visible",
                    element,
                )
            ]
    return []


def _pick_title(
    visible: list[_Title], metadata: list[_Title], names: list[str]
) -> tuple[_Title | None, str]:
    usable = [c for c in visible if c.rejected is None]
    agreed = [c for c in usable if c.votes > 0]
    if agreed:
        best = max(agreed, key=lambda c: (c.votes, c.template))
        if best.votes < 1:
            return best, "visible headline, reworded in the metadata (most words shared)"
        return best, f"visible headline confirmed by {best.votes:g} metadata source(s)"
    templated = [c for c in usable if c.template]
    if templated:
        return templated[0], "the template's headline element (no metadata agrees or exists)"
    meta_ok = [c for c in metadata if c.rejected is None]
    if meta_ok:
        best = max(meta_ok, key=lambda c: c.votes)
        return best, "metadata title (no usable visible headline)"
    if usable:
        return usable[0], "first visible h1 (no metadata)"
    return None, "no candidate"


def _best_variant(value: str, names: list[str], keys: dict[str, set[str]]) -> str:
    """A metadata title without the site name: the variant most sources share."""
    variants = _title_variants(value, names)
    best = max(variants, key=lambda v: (len(keys.get(title_key(v), set())), v == value))
    if best == value and len(variants) > 1 and names:
        return variants[1]  # the site name stripped
    return best


# --- dates ----------------------------------------------------------------------------------

_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
)
_UPDATED_WORDS = re.compile(r"cập nhật|updated|modified|sửa", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
NEAR_HEADLINE_NODES = 40
"""How many text pieces before and after the headline are searched for a printed date."""


def date_near(root: HtmlElement, anchor: HtmlElement | None) -> str | None:
    """The printed date closest to the headline (not an "updated" one), or None."""
    if anchor is None:
        return None
    pieces: list[str] = []
    position = -1
    body = next(iter(root.iter("body")), root)
    for element in body.iter():
        if element is anchor:
            position = len(pieces)
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        for text in (element.text, element.tail):
            if text and text.strip():
                pieces.append(text)
    if position < 0:
        return None
    for distance in range(NEAR_HEADLINE_NODES):
        for index in (position + distance, position - 1 - distance):
            if 0 <= index < len(pieces):
                piece = pieces[index]
                dated = _YEAR.search(piece) and not _UPDATED_WORDS.search(piece)
                if dated and parse_visible(piece) is not None:
                    # A date and its time are sometimes split over two pieces.
                    following = pieces[index + 1] if index + 1 < len(pieces) else ""
                    if len(following.strip()) <= 12 and ":" in following:
                        return fold(f"{piece} {following}")
                    return fold(piece)
    return None


def choose_date(
    meta: PageMetadata,
    zone: tzinfo,
    *,
    template_value: str | None,
    near_headline: Callable[[], str | None],
    extra: str | Callable[[], str | None] | None = None,
    extra_source: str = "trafilatura",
    explain: Explanation | None = None,
) -> ParsedDate | None:
    """The publication date: the most precise source agreeing with the most trusted.

    The text near the headline is only read when it could matter (no source gives a time
    of day yet), or when the explanation is to be thorough. ``extra`` (the least trusted
    source) may be given as a function returning a bare date (a day, never a time of day):
    it is then called only when no other source gave a date (a day can never replace
    another source's date), or when the explanation is to be thorough."""
    sources: list[tuple[str, str | None]] = [
        ("json-ld datePublished", meta.jsonld_str("datePublished")),
        ("meta published time", meta.first(*_PUBLISHED_META)),
        ("template date element", template_value),
    ]
    parsed = [(source, raw, parse_any(raw, zone)) for source, raw in sources if raw]
    timed = any(p is not None and p.precision > Precision.DAY for _, _, p in parsed)
    thorough = explain is not None and explain.thorough
    if not timed or thorough:
        near = near_headline()
        if near:
            parsed.append(("visible text near the headline", near, parse_any(near, zone)))
    if callable(extra):
        extra = extra() if thorough or all(p is None for _, _, p in parsed) else None
    if extra:
        parsed.append((extra_source, extra, parse_any(extra, zone)))
    best = most_precise([p for _, _, p in parsed])
    if explain is not None:
        winner = next((s for s, _, p in parsed if p is best), None)
        explain.choose(
            "published_at",
            FieldChoice(
                value=best.isoformat() if best else None,
                source=winner,
                reason="most precise source naming the same day as the most trusted one"
                if best
                else "no source gave a date",
                candidates=[
                    Candidate(s, raw, 0, None if p else "not a date") for s, raw, p in parsed
                ],
            ),
        )
    return best


# --- authors ---------------------------------------------------------------------------------

_ORGANISATION = re.compile(
    r"^(?:báo|tạp\s+chí|đài|cổng\s+thông\s+tin|trang\s+tin|ban\s+biên\s+tập|tòa\s+soạn|toà\s+soạn"
    r"|nhóm\s+phóng\s+viên|nhóm\s+pv|thông\s+tấn\s+xã|ttxvn|vtv|vov|vnexpress|tuổi\s+trẻ"
    r"|thanh\s+niên\s+online|admin|administrator|biên\s+tập\s+viên|btv|pv|ctv|phóng\s+viên"
    r"|staff|editorial|newsroom|the\s+associated\s+press|reuters|afp|ap)\b"
    r"|\b(?:online|điện\s+tử|news|media|press|corp|jsc|ltd|inc|company|group|\.vn|\.com|\.net)\b"
    r"|\bvn$",
    re.IGNORECASE,
)


def is_organisation(name: str, outlet_names: tuple[str, ...] = ()) -> bool:
    """Whether an author credit names an organisation (the outlet, a paper, an agency)."""
    folded = fold(name)
    if not folded or "@" in folded or "://" in folded or any(ch.isdigit() for ch in folded):
        return True
    key = title_key(folded)
    if any(key == title_key(n) for n in outlet_names if n):
        return True
    if len(folded.split()) > 5:
        return True
    return bool(_ORGANISATION.search(folded))


def people(names: list[str], outlet_names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(people, rejected organisations) among split author names."""
    kept: list[str] = []
    rejected: list[str] = []
    for raw in names:
        for name in split_authors(raw):
            (rejected if is_organisation(name, outlet_names) else kept).append(name)
    return kept, rejected


def choose_authors(
    sources: list[tuple[str, list[str] | Callable[[], list[str]]]],
    outlet_names: tuple[str, ...],
    explain: Explanation | None = None,
) -> list[str]:
    """The people credited by the first source that names any (see the module docstring).

    A source may be given as a function, called only when no earlier source named anyone
    (or when the explanation is to be thorough)."""
    chosen: list[str] = []
    winner: str | None = None
    candidates: list[Candidate] = []
    thorough = explain is not None and explain.thorough
    for source, given in sources:
        if callable(given):
            if chosen and not thorough:
                continue
            given = given()
        kept, rejected = people(given, outlet_names)
        for name in kept:
            candidates.append(Candidate(source, name, 0, None if not chosen else "lower priority"))
        for name in rejected:
            candidates.append(Candidate(source, name, 0, "an organisation, not a person"))
        if kept and not chosen:
            chosen, winner = list(dict.fromkeys(kept)), source
    if explain is not None:
        explain.choose(
            "authors",
            FieldChoice(
                value=chosen,
                source=winner,
                reason="first source naming people (what the page shows first: template, byline, "
                "author markup; then JSON-LD, meta)"
                if chosen
                else "no source names a person",
                candidates=candidates,
            ),
        )
    return chosen


def outlet_names(meta: PageMetadata, url: str, *extra: str) -> tuple[str, ...]:
    """Names the outlet goes by (never an author): profile title, site name, domain."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    names = [*extra, meta.first("og:site_name") or "", host, host.split(".")[0]]
    publisher = meta.jsonld.get("publisher")
    if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        names.append(publisher["name"])
    return tuple(dict.fromkeys(fold(n) for n in names if n and fold(n)))
