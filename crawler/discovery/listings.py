"""Listing pages (home, category, "tin mới"): their links, the dates printed next to them,
and their next page.

A link's *listing entry* is its nearest ancestor, up to :data:`ENTRY_LEVELS` levels up, that
links to no other target and holds at most :data:`MAX_ENTRY_TEXT` characters of visible text;
the date the entry prints is the link's. Finding entries by re-reading each link's ancestors
(``.//a/@href`` and ``.//text()`` per ancestor) is quadratic in the page size: a listing of
2,000 links took a minute. Here the page is parsed once and walked once, bottom-up: every
element gets from its children the first two distinct link targets below it and its visible
text while that text stays short, so a link's entry is found with a few look-ups. The work is
linear in the page size (:attr:`ListingPage.work` counts it).

Text is NFC (the page is decoded by :func:`crawler.extraction.dom.parse`); the text of
``<script>`` and ``<style>`` is never read. Pass ``response.text`` rather than the body when
the HTTP header, not the page, names the encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from crawler.extraction.dates import parse_visible
from crawler.extraction.dom import PageParseError, compiled, parse

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date, datetime

    from lxml.html import HtmlElement

MAX_ENTRY_TEXT = 800
"""A listing entry holds at most this many characters of visible text (white space folded)."""

ENTRY_LEVELS = 3
"""How many ancestors of a link may be its listing entry."""

_T = TypeVar("_T")

_UNREAD = frozenset({"script", "style"})
"""Elements whose text is never visible."""

_NEXT_SELECTORS: tuple[str, ...] = (
    "link[rel~=next]",
    "a[rel~=next]",
    ".pagination a.next",
    "a.next",
    "li.next > a",
)
"""Explicit "next page" markup, most explicit first (HTML ``rel``, WordPress, Bootstrap)."""

# Link texts that mean "next page" wherever they stand: they name a page.
_NEXT_PHRASES = frozenset(
    {"trang sau", "trang tiếp", "trang tiếp theo", "trang kế", "trang kế tiếp", "next page"}
)
# Link texts that mean "next page" only inside a pagination block: alone, "Sau" or "›" could be
# a slider's or a gallery's. "»" is not one of them: baocantho.com.vn's pager uses "&gt;" for
# the next page and "»" for the last one.
_NEXT_WORDS = frozenset({"sau", "tiếp", "tiếp theo", "kế tiếp", "next", "›", ">", "→", ">>"})
_ARROWS = "«»‹›<>←→ \t\n"
# class / id tokens of pagination blocks (whole tokens: "page-wrapper" is not one).
_PAGER_TOKEN = re.compile(
    r"^(?:pagination|paging|pager|pagenav|page-?nav(?:igation)?|pages?|nav-links|"
    r"wp-pagenavi|phan-?trang|phantrang|boxpage|page-?list)$",
    re.IGNORECASE,
)
_CURRENT_TOKEN = re.compile(r"(?:^|[-_])(?:active|current|selected|cur)(?:$|[-_])", re.I)
# The page number a listing URL carries: ?p=3, ?page=3, ?trang=3, /page/3, /trang-3, /p3.
_URL_PAGE = re.compile(
    r"(?:[?&](?:p|page|trang|pg|paged)=|/page/|/trang-?|[/-]p)(\d{1,5})(?:$|[/?&.#-])", re.I
)
_MAX_PAGER_ELEMENTS = 400
"""A pagination block larger than this is not one (bounds the scan for the current page)."""


@dataclass(frozen=True, slots=True)
class ListingPage:
    """What a listing page offers the crawl."""

    links: list[tuple[str, datetime | None]]
    """Every http(s) ``<a href>``, absolute (``<base href>`` honoured, fragment dropped), in
    document order, with the date its listing entry prints (local time when the page gives
    no offset) or None."""

    next_page: str | None
    """The absolute URL of the next page of the listing, when the page links to one."""

    work: int
    """Elements visited plus characters of text assembled and parsed: linear in the page
    size (tests and the benchmark compare it across sizes)."""

    url: str = ""
    """The page's own URL."""

    @property
    def dates(self) -> list[datetime]:
        """The dates printed in the page's listing entries, one per distinct linked URL.

        Dates printed elsewhere are not listing dates: they would keep every page looking
        fresh. So only dated links count, and not a link to the site's root or to the page
        itself, which is where a header's "Thứ Hai, 12/01/2026" (today) stands. A caller that
        knows which URLs are articles should prefer their dates alone."""
        seen: dict[str, datetime] = {}
        here = _without_fragment(self.url)
        for url, printed in self.links:
            if printed is None or url == here or urlsplit(url).path in ("", "/"):
                continue
            seen.setdefault(url, printed)
        return list(seen.values())


def read_listing(html: bytes | str, base_url: str) -> ListingPage:
    """Links with their printed dates and the next page, from one parse of the page.

    A page that is not HTML (empty, binary) is an empty listing."""
    try:
        root = parse(html)
    except PageParseError:
        return ListingPage([], None, 0, base_url)
    base = _base_url(root, base_url)
    scan = _Scan(base)
    scan.run(root)
    links = [(url, scan.entry_date(anchor, url)) for anchor, url in scan.links]
    return ListingPage(links, _next_page(root, base, base_url), scan.work, base_url)


def dated_links(html: bytes | str, base_url: str) -> list[tuple[str, datetime | None]]:
    """Every link of a page with the date its listing entry prints (:attr:`ListingPage.links`)."""
    return read_listing(html, base_url).links


def listing_dates(html: bytes | str, base_url: str = "") -> list[datetime]:
    """The dates a listing page prints in its entries (see :attr:`ListingPage.dates`)."""
    return read_listing(html, base_url or "http://localhost/").dates


def next_page(html: bytes | str, base_url: str) -> str | None:
    """The next page of a listing: ``rel=next``, a "next" class, the page number after the
    current one in a pagination list, or a "Trang sau" / "›" link in a pagination block."""
    try:
        root = parse(html)
    except PageParseError:
        return None
    return _next_page(root, _base_url(root, base_url), base_url)


# --- the bottom-up pass ----------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    """What an element holds, as far as listing entries care."""

    targets: tuple[str, ...]
    """Up to two distinct link targets at or below the element (two means "more than one")."""

    size: int
    """Characters of visible text (white space folded), counted up to MAX_ENTRY_TEXT + 1."""

    stamps: str
    """Its date-like text nodes, joined: where a listing prints dates and times."""

    days: tuple[date, ...]
    """Up to two distinct days its date-like text nodes print (two means "more than one")."""


class _Scan:
    """One bottom-up pass over a parsed page (children before parents)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.nodes: dict[HtmlElement, _Node] = {}
        self.links: list[tuple[HtmlElement, str]] = []
        self.work = 0
        self._dates: dict[HtmlElement, datetime | None] = {}

    def run(self, root: HtmlElement) -> None:
        # Holding every element in a list keeps lxml's proxies alive, so they stay valid
        # dictionary keys; in reverse document order every child comes before its parent.
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        self.work += len(elements)
        targets_of: dict[HtmlElement, str] = {}
        for el in elements:
            if el.tag == "a":
                target = self._target(el.get("href"))
                if target is not None:
                    targets_of[el] = target
                    self.links.append((el, target))
        for el in reversed(elements):
            self.nodes[el] = self._node(el, targets_of.get(el))

    def _target(self, href: str | None) -> str | None:
        """The absolute http(s) URL a link leads to, without fragment; None for the rest."""
        href = (href or "").strip()
        if not href or href.startswith("#"):
            return None
        try:
            parts = urlsplit(urljoin(self.base, href))
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        return urlunsplit(parts._replace(fragment=""))

    def _node(self, el: HtmlElement, own_target: str | None) -> _Node:
        targets: tuple[str, ...] = (own_target,) if own_target else ()
        size = 0
        stamps: list[str] = []
        days: tuple[date, ...] = ()
        # The element's own text, then each child's summary followed by the child's tail:
        # document order, so the first date-like text stays first.
        for child in (None, *el):
            if child is None:
                raw = None if el.tag in _UNREAD else el.text
            else:
                node = self.nodes.get(child)
                if node is not None:
                    if len(targets) < 2 and node.targets:
                        targets = _merge(targets, node.targets)
                    if size <= MAX_ENTRY_TEXT:
                        size += node.size + (1 if size and node.size else 0)
                        if node.stamps:
                            stamps.append(node.stamps)
                            days = _merge(days, node.days)
                raw = child.tail
            if not raw or size > MAX_ENTRY_TEXT:
                continue
            self.work += len(raw)
            folded = " ".join(raw.split())
            if not folded:
                continue
            size += len(folded) + (1 if size else 0)
            if _date_like(folded):
                stamps.append(folded)
                if len(days) < 2:
                    printed = parse_visible(folded)
                    if printed is not None:
                        days = _merge(days, (printed.value.date(),))
        if size > MAX_ENTRY_TEXT:
            return _Node(targets, MAX_ENTRY_TEXT + 1, "", ())
        return _Node(targets, size, " ".join(stamps), days)

    def entry_date(self, anchor: HtmlElement, target: str) -> datetime | None:
        """The date printed in the link's listing entry.

        Walking up from the link (at most ENTRY_LEVELS ancestors, none with more than
        MAX_ENTRY_TEXT characters of text), the first ancestor that prints a date gives it,
        while it links to nothing else. An ancestor that also links elsewhere (a category
        label, a related story) is still the entry of its *first* link when it prints a
        single day: vtcnews.vn's entries are image, headline, category link, time.

        Only date-like text counts: a text node that is a date and a time with a few words
        around it ("Thứ Hai, 06/12/2021 | 08:09"). A headline ("Từ 1/1/2026, hộ chiếu…") or
        a summary ("…thông xe vào 30-6-2026") never passes for the entry's date: a wrong date
        can drop the link from a crawl window, a missing one only costs a fetch."""
        node = anchor
        for _ in range(ENTRY_LEVELS):
            parent = node.getparent()
            if parent is None:
                break
            node = parent
            info = self.nodes.get(node)
            if info is None or info.size > MAX_ENTRY_TEXT:
                break
            if len(info.targets) <= 1:
                found = self._date(node, info.stamps)
                if found is not None:
                    return found
                continue
            if info.targets[0] == target and len(info.days) == 1:
                return self._date(node, info.stamps)
            break
        return None

    def _date(self, el: HtmlElement, text: str) -> datetime | None:
        if el not in self._dates:
            parsed = None
            if text:
                self.work += len(text)
                parsed = parse_visible(text)
            self._dates[el] = parsed.value if parsed is not None else None
        return self._dates[el]


_MAX_STAMP_CHARS = 80
_MAX_STAMP_LETTERS = 24


def _date_like(text: str) -> bool:
    """Whether a text node may be a printed date or time: digits and at most a few words."""
    if len(text) > _MAX_STAMP_CHARS or not any(ch.isdigit() for ch in text):
        return False
    return sum(ch.isalpha() for ch in text) <= _MAX_STAMP_LETTERS


def _merge(mine: tuple[_T, ...], theirs: tuple[_T, ...]) -> tuple[_T, ...]:
    """Distinct values of both in order, at most two."""
    merged = list(mine)
    for target in theirs:
        if target not in merged:
            merged.append(target)
            if len(merged) == 2:
                break
    return tuple(merged)


def _base_url(root: HtmlElement, url: str) -> str:
    """The document's base URL: its ``<base href>`` (resolved against ``url``), else ``url``."""
    for href in root.xpath("//base/@href")[:1]:
        href = str(href).strip()
        if href:
            return urljoin(url, href)
    return url


# --- the next page ---------------------------------------------------------------------------


def _next_page(root: HtmlElement, base: str, page_url: str) -> str | None:
    here = _without_fragment(urljoin(base, page_url)) if page_url else ""

    def usable(href: str | None) -> str | None:
        href = (href or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        url = _without_fragment(urljoin(base, href))
        if not url.startswith(("http://", "https://")) or url == here:
            return None
        return url

    for selector in _NEXT_SELECTORS:
        for element in compiled(selector)(root):
            url = usable(element.get("href"))
            if url:
                return url
    anchors = [a for a in root.iter("a") if usable(a.get("href"))]
    numbered = _numbered_pagers(anchors)
    url = _number_after_current(numbered, page_url, usable)
    if url:
        return url
    for anchor in anchors:
        if _link_words(anchor) in _NEXT_PHRASES:
            return usable(anchor.get("href"))
    for anchor in anchors:
        if _link_words(anchor) in _NEXT_WORDS and _in_pager(anchor, numbered):
            return usable(anchor.get("href"))
    return None


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _link_words(anchor: HtmlElement) -> str:
    """A link's text, lower case, white space folded, arrows at its ends removed unless the
    text is nothing but an arrow."""
    text = " ".join(anchor.text_content().split()).casefold()
    stripped = text.strip(_ARROWS)
    return stripped or text


def _int_text(element: HtmlElement) -> int | None:
    text = element.text_content().strip()
    return int(text) if text.isdigit() and len(text) <= 5 else None


def _pager_of(anchor: HtmlElement) -> HtmlElement | None:
    """The list a numbered link belongs to: the ``<li>``'s list, else the link's parent."""
    parent = anchor.getparent()
    if parent is not None and parent.tag == "li":
        parent = parent.getparent()
    return parent


def _numbered_pagers(anchors: Iterable[HtmlElement]) -> dict[HtmlElement, list[HtmlElement]]:
    """Containers holding links whose text is a page number, with those links."""
    pagers: dict[HtmlElement, list[HtmlElement]] = {}
    for anchor in anchors:
        if _int_text(anchor) is not None:
            pager = _pager_of(anchor)
            if pager is not None:
                pagers.setdefault(pager, []).append(anchor)
    return pagers


def _classes(element: HtmlElement) -> list[str]:
    return [*(element.get("class") or "").split(), *(element.get("id") or "").split()]


def _current_number(pager: HtmlElement) -> int | None:
    """The number of the page shown, as its pagination list marks it: a number that is not a
    link (``<b>1</b>``, ``<span class="current">3</span>``) or an "active"/"current" item."""
    for count, element in enumerate(pager.iter()):
        if count > _MAX_PAGER_ELEMENTS or not isinstance(element.tag, str):
            return None
        number = _int_text(element)
        if number is None or element is pager:
            continue
        marked = element.get("aria-current") == "page" or any(
            _CURRENT_TOKEN.search(token) for token in _classes(element)
        )
        holds_link = element.tag == "a" or next(element.iter("a"), None) is not None
        if marked or not holds_link:
            return number
    return None


def _number_after_current(
    pagers: dict[HtmlElement, list[HtmlElement]],
    page_url: str,
    usable: Callable[[str | None], str | None],
) -> str | None:
    """In a pagination list, the link numbered one more than the current page."""
    for pager, links in pagers.items():
        current = _current_number(pager)
        if current is None:
            if len(links) < 2 and not _in_pager(links[0], {}):
                continue  # one lone number outside a pagination block is not a page number
            match = _URL_PAGE.search(page_url)
            current = int(match[1]) if match else 1
        for link in links:
            if _int_text(link) == current + 1:
                url = usable(link.get("href"))
                if url:
                    return url
    return None


def _in_pager(anchor: HtmlElement, pagers: dict[HtmlElement, list[HtmlElement]]) -> bool:
    """Whether a link stands in a pagination block: beside page numbers, or inside an element
    whose class or id says pagination (up to four levels up)."""
    if _pager_of(anchor) in pagers:
        return True
    element: HtmlElement | None = anchor
    for _ in range(5):
        if element is None:
            return False
        if any(_PAGER_TOKEN.match(token) for token in _classes(element)):
            return True
        element = element.getparent()
    return False
