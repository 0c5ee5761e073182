"""Boilerplate inside an article body found by its structure, not by its class names.

Outlets change class names with every redesign, and outlets on the same CMS configure
different boxes; what does not change is what a box *is*. Applied to the body element before
it is read, in this order (each removal is recorded with its rule for ``--explain``):

1. **Never text**: ``script``, ``style``, ``noscript``, ``template``, forms and embeds, and
   elements hidden with ``hidden`` / ``display:none`` / ``visibility:hidden``.
2. **Template pruning**: the profile's selectors (ads, share bars, known related boxes).
3. **Ad slots** by id/class *shape* (``adsWeb_*``, ``adsMobile_*``, ``sdaWeb_*``, ``qc-*``,
   ``banner``...) when they hold little text: ids differ by layout, their shape does not.
4. **Labelled boxes**: a container whose first words are a related-news label ("Dòng sự
   kiện", "Tin liên quan", "Đọc thêm", "Xem thêm", "Tin cùng chuyên mục" ...), or a paragraph
   that is such a label followed by links.
5. **Link-dense blocks**: a container whose text is mostly links, at least one of them to
   another page of the same outlet (related-news lists, topic boxes); a related card (a
   heading that is a link to another article of the outlet, with a short teaser); and a
   paragraph that is nothing but a link to the same outlet (an inline "related" link).

A block that holds most of the body's text is never removed by 4 or 5, and rule 5 stops
once it has removed :data:`LINK_RULES_MAX` of the body's text: a rule that would empty the
article is wrong about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.extraction.blocks import prune, read_lines
from crawler.extraction.boilerplate import is_stop_heading
from crawler.extraction.bylines import looks_like_byline
from crawler.extraction.dom import has_text, remove, text_of
from crawler.extraction.text import fold
from crawler.urls import fold_host

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.html import HtmlElement

NEVER_TEXT: tuple[str, ...] = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "form",
    "button",
    "select",
    "textarea",
    "svg",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "ins.adsbygoogle",
)
"""Elements whose text is never article text."""

_SILENT = frozenset({"script", "style", "noscript", "template"})  # never worth reporting
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_AD_TOKEN = re.compile(
    r"^(?:ads?|adv|sda|qc|dfp|gpt)(?:web|mobile|zone|box|slot|[-_\d]|$)|^advert|^banner"
    r"|^quang-?cao|^adsbygoogle",
    re.IGNORECASE,
)
_AD_MAX_TEXT = 200
_CONTAINERS = frozenset(
    {"div", "section", "aside", "ul", "ol", "dl", "nav", "table", "article", "figure", "header",
     "footer", "center"}
)  # fmt: skip
# Block-level only: an inline element (a <span> inside a link) is part of its sentence.
_LEAVES = frozenset({"p", "li", "h2", "h3", "h4", "h5", "h6", "div", "dd", "dt", "td"})
_FILE_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|jpe?g|png|gif|webp|mp3|mp4)$", re.I)

EXTRA_LABELS: frozenset[str] = frozenset(
    {
        "dòng sự kiện",
        "sự kiện",
        "chủ đề",
        "tin bài khác",
        "bài khác",
        "tin khác",
        "tin đọc nhiều",
        "tin mới cập nhật",
        "bạn có thể quan tâm",
        "đừng bỏ lỡ",
        "xem nhiều",
        "có thể bạn muốn xem",
        "bài cùng chuyên mục",
        "cùng chủ đề",
        "tin tức liên quan",
        "liên quan",
        "related",
        "related articles",
        "related stories",
        "related news",
        "read more",
        "read also",
        "see also",
        "more stories",
        "recommended",
        "you may also like",
        "most read",
    }
)
"""Labels of related-news boxes besides the stop headings of
:mod:`crawler.extraction.boilerplate` (this list also covers common English ones)."""

READER_PROMO = re.compile(
    r"\b(?:kính\s+mời|mời|trân\s+trọng\s+giới\s+thiệu|giới\s+thiệu)\s+(?:tới\s+|đến\s+|cùng\s+)?"
    r"(?:quý\s+)?(?:độc\s+giả|bạn\s+đọc)\b",
    re.IGNORECASE,
)
"""A box that opens by addressing the readers ("… giới thiệu độc giả", "Mời bạn đọc …") is
the outlet promoting something, not the story (a paragraph of the story may say it; a box
opening with it is a promotion)."""

LINK_RULES = ("link-dense", "inline link", "related card")
"""Rules that judge by links (rule 5): capped, and trusted less on long plain lines."""

LONG_LINE = 200
"""A pruned box's line this long, and mostly not links, is not matched against text."""

LINK_DENSE_SHARE = 0.6
"""A container whose text is at least this much link text is a list of links."""

INLINE_LINK_SHARE = 0.9
"""A paragraph whose text is at least this much one link is a link, not a paragraph."""

MAJORITY = 0.5
"""A block holding this share of the body's text or more is never pruned structurally."""

LINK_RULES_MAX = 0.6
"""The link rules (5) never remove more than this share of the body's text in all."""


@dataclass
class PrunedBlock:
    """One piece of the page removed from the body, and why."""

    rule: str
    """The rule that removed it, e.g. ``"labelled box: Dòng sự kiện"``."""

    text: str
    """Its text, cut to 160 characters."""

    lines: tuple[str, ...] = field(default=(), repr=False)
    """The lines (blocks) of text it held: the generic path drops trafilatura's lines that
    match them. A long plain paragraph caught in a box pruned for its links is not listed:
    trafilatura took it for text, and link density alone does not overrule that."""


@dataclass
class LinkJudge:
    """Tells links to other pages of the same outlet from the rest."""

    page_url: str
    """The page's URL (links are resolved against it)."""

    is_article_path: Callable[[str], bool]
    """Whether a URL path (with query) is an article of this outlet."""

    host: str = field(init=False)
    path: str = field(init=False)
    _kinds: dict[str, str] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.page_url)
        self.host = fold_host(parts.hostname or "")
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")

    def kind(self, href: str) -> str:
        """``"article"``, ``"site"`` (another page of the outlet), ``"self"`` (this page),
        ``"file"``, ``"external"`` or ``"none"`` (anchors, ``javascript:``, ``mailto:``)."""
        known = self._kinds.get(href)
        if known is None:
            known = self._kinds[href] = self._kind(href)
        return known

    def _kind(self, href: str) -> str:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            return "none"
        if href.startswith("/") and not href.startswith("//") and "/." not in href:
            # A path on this host (most links): no need to resolve it.
            path, _, query = href.partition("#")[0].partition("?")
        else:
            parts = urlsplit(
                href if href.startswith(("http://", "https://")) else urljoin(self.page_url, href)
            )
            if parts.scheme not in ("http", "https"):
                return "none"
            if fold_host(parts.hostname or "") != self.host:
                return "external"
            path, query = parts.path, parts.query
        if _FILE_LINK.search(path):
            return "file"
        path = path + (f"?{query}" if query else "")
        if path.rstrip("/") == self.path.rstrip("/"):
            return "self"
        return "article" if self.is_article_path(path) else "site"


GENERIC_ARTICLE_PATTERNS: tuple[str, ...] = (
    r"[-/_.][a-z]{0,5}\d{4,}(?:\.[a-z]{3,5})?/?$",  # an id at the end: -post123456.html, -a196670
    r"/\d{4}/\d{1,2}/",  # a dated folder
    r"/[\w%]+(?:-[\w%]+){4,}(?:\.html?)?/?$",  # a long hyphenated slug
)
"""Paths that look like an article on most news sites (for outlets without a profile)."""

_GENERIC_ARTICLE_PATH = re.compile(
    "|".join(f"(?:{p})" for p in GENERIC_ARTICLE_PATTERNS), re.IGNORECASE
)


def looks_like_article_path(path: str) -> bool:
    """Whether a URL path looks like an article of a site without a profile."""
    return bool(_GENERIC_ARTICLE_PATH.search(path.split("?", 1)[0]))


def label_key(text: str) -> str:
    """A label as compared with the known ones: folded, lower-case, no trailing colon."""
    return fold(text).lower().rstrip(" :.»>›|-–").strip()


def is_box_label(text: str) -> bool:
    """Whether a short text names a related-news (or similar) box."""
    key = label_key(text)
    return bool(key) and (key in EXTRA_LABELS or is_stop_heading(key))


def _first_text(element: HtmlElement, size: int = 200) -> str:
    """The first non-blank text inside ``element`` (a box's label comes first), folded, cut
    at about ``size`` characters (a longer text is no label: only its start is read)."""
    for piece in element.itertext():
        folded = fold(piece[: size * 2])
        if folded:
            return folded[:size]
    return ""


def _has_text(element: HtmlElement, stats: dict[HtmlElement, _Stats]) -> bool:
    """Whether ``text_of(element)`` is not empty, without reading all of it: an element
    counted without text has none; else the first piece with a character fold keeps."""
    own = stats.get(element)
    if own is not None and not own.chars:
        return False
    return has_text(element)


def _label_of(element: HtmlElement, stats: dict[HtmlElement, _Stats]) -> str | None:
    """The box label the element opens with, if any ("Dòng sự kiện:", "Tin liên quan").

    A wrapper whose first child is itself a box is not labelled by that box's label: the box
    is (the wrapper may hold article text after it)."""
    if not (element.text or "").strip():
        first_child = next(
            (c for c in element if isinstance(c.tag, str) and _has_text(c, stats)), None
        )
        if first_child is not None and first_child.tag in _CONTAINERS:
            return None
    first = _first_text(element)
    if not first or len(first) > 40:
        return None
    if is_box_label(first):
        return label_key(first)
    # "Dòng sự kiện: <a>…" with the label and the first link in one text node is rare;
    # a label followed by a colon inside a longer first string is checked too.
    head = first.split(":", 1)[0]
    if ":" in first and is_box_label(head):
        return label_key(head)
    return None


def _excerpt(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


def _hidden(element: HtmlElement) -> bool:
    if element.get("hidden") is not None:
        return True
    return bool(_HIDDEN_STYLE.search(str(element.get("style") or "")))


def _is_ad_slot(element: HtmlElement) -> bool:
    tokens = [str(element.get("id") or ""), *str(element.get("class") or "").split()]
    return any(_AD_TOKEN.search(token) for token in tokens if token)


CARD_MAX = 500
"""A related card (headline link, teaser) holds at most this much text."""

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _headline_link(element: HtmlElement, judge: LinkJudge) -> bool:
    """Whether the element opens with a heading that is wholly a link to another article (a
    card: the headline first, its teaser after; a wrapper whose first text is a paragraph of
    the story is no card)."""
    first = _first_text(element)
    for heading in element.iter(*_HEADINGS):
        if first and not text_of(heading).startswith(first[:20]):
            continue
        text = text_of(heading)
        anchors = list(heading.iter("a"))
        if not text or not anchors:
            continue
        linked = sum(len(text_of(a)) for a in anchors)
        kinds = {judge.kind(str(a.get("href") or "")) for a in anchors}
        if linked >= 0.9 * len(text) and "article" in kinds:
            return True
    return False


BESIDE_MIN = 20
"""A paragraph of at least this much non-link text next to a box is article text."""


def _holds_text_beside(element: HtmlElement, stats: dict[HtmlElement, _Stats]) -> bool:
    """Whether a container holds article text beside its box: a child paragraph of real
    text (a wrapper around a related box and the story's next paragraph), or the story's
    byline as its last child (a wrapper around the last box and the credit). The box is
    then pruned on its own, never the wrapper."""
    children = [c for c in element if isinstance(c.tag, str)]
    for child in children:
        if child.tag not in _PARAGRAPHS or _has_block_children(child):
            continue
        own = stats.get(child)
        if own is None or own.link_chars >= 0.3 * max(own.chars, 1):
            continue
        if own.chars >= BESIDE_MIN and _label_of(child, stats) is None:
            return True
        last = child is children[-1] and own.chars and not own.link_chars
        if last and looks_like_byline(text_of(child)):
            return True
    return False


_PARAGRAPHS = frozenset({"p", "div", "blockquote", "h2", "h3", "h4", "h5", "h6"})


def _has_block_children(element: HtmlElement) -> bool:
    return any(
        isinstance(child.tag, str)
        and child.tag in ("p", "div", "ul", "ol", "table", "section", "article", "figure")
        for child in element
    )


HIDDEN_CAPTION = "never text: hidden text in a picture's block (kept as a caption hint)"
"""Slideshow templates keep each caption twice: hidden in the picture's block (for the
lightbox) and shown after it. The hidden copy tells which shown text is the caption."""


def _beside_picture(element: HtmlElement) -> bool:
    parent = element.getparent()
    for holder in (parent, parent.getparent() if parent is not None else None):
        if holder is not None and holder.find(".//img") is not None:
            return True
    return False


def caption_hints(pruned: list[PrunedBlock]) -> frozenset[str]:
    """The texts hidden in pictures' blocks (see :data:`HIDDEN_CAPTION`)."""
    return frozenset(line for p in pruned if p.rule == HIDDEN_CAPTION for line in p.lines)


_NEVER_TAGS = tuple(s for s in NEVER_TEXT if s.isalpha() and s not in _SILENT)
_NEVER_OTHERS = tuple(s for s in NEVER_TEXT if not s.isalpha())
# Elements that may be hidden (filtered by _hidden): one pass instead of a walk in Python,
# over the attributes (then their elements: the same, in document order, twice as fast).
_MAY_BE_HIDDEN = etree.XPath(".//*/@hidden/.. | .//*/@style/..")


def _outermost(elements: list[HtmlElement]) -> list[HtmlElement]:
    """Those of ``elements`` (in document order) not inside another one of them."""
    kept: list[HtmlElement] = []
    chosen: set[HtmlElement] = set()
    for element in elements:
        if not any(a in chosen for a in element.iterancestors()):
            kept.append(element)
            chosen.add(element)
    return kept


def strip_never_text(body: HtmlElement) -> list[PrunedBlock]:
    """Remove scripts, styles, forms, embeds and hidden elements (rule 1)."""
    pruned: list[PrunedBlock] = []
    # Scripts and styles first, unread (their text is never worth reporting), so what is
    # reported of a form or an SVG is its own text.
    for element in _outermost([e for e in body.iter(*_SILENT) if e is not body]):
        remove(element)
    for element in _outermost([e for e in body.iter(*_NEVER_TAGS) if e is not body]):
        text = text_of(element)
        if text:
            pruned.append(PrunedBlock(f"never text: {element.tag}", _excerpt(text)))
        remove(element)
    pruned.extend(
        PrunedBlock(f"never text: {selector}", _excerpt(text_of(element)))
        for selector, element in prune(body, _NEVER_OTHERS)
    )
    hidden = _outermost([e for e in _MAY_BE_HIDDEN(body) if _hidden(e)])
    for element in hidden:
        text = text_of(element)
        near = _beside_picture(element)
        remove(element)
        if text and near:
            pruned.append(PrunedBlock(HIDDEN_CAPTION, _excerpt(text), (text,)))
        elif text:
            pruned.append(PrunedBlock("never text: hidden element", _excerpt(text)))
    return pruned


@dataclass(slots=True)
class _Stats:
    """Text and links of one element's subtree, counted once for the whole body."""

    chars: int = 0
    """Characters of text (white space runs counted as one)."""

    link_chars: int = 0
    """Characters of text inside links."""

    same_site: int = 0
    """Links to pages of the same outlet."""

    articles: int = 0
    """Links to articles of the same outlet."""


def _collect(body: HtmlElement, judge: LinkJudge) -> dict[HtmlElement, _Stats]:
    """Every element's :class:`_Stats` (links classified once per element). The elements
    are visited in reverse document order, which puts every element after its descendants."""
    stats: dict[HtmlElement, _Stats] = {}
    known = stats.get
    for element in reversed(list(body.iter(etree.Element))):
        # Characters of text: white space runs count as one.
        text = element.text
        chars = len(" ".join(text.split())) if text else 0
        link_chars = same_site = articles = 0
        for child in element:
            sub = known(child)
            if sub is not None:
                if sub.chars:
                    chars += sub.chars + 1
                link_chars += sub.link_chars
                same_site += sub.same_site
                articles += sub.articles
            tail = child.tail
            if tail:
                chars += len(" ".join(tail.split()))
        if element.tag == "a":
            link_chars = chars
            kind = judge.kind(str(element.get("href") or ""))
            same_site += kind in ("article", "site")
            articles += kind == "article"
        stats[element] = _Stats(chars, link_chars, same_site, articles)
    return stats


def prune_structure(
    body: HtmlElement, judge: LinkJudge, *, with_lines: bool = False
) -> list[PrunedBlock]:
    """Rules 3 to 5 of the module docstring, applied to an element tree in place.

    Elements are visited from the outside in; a removed element's inside is not visited.
    Text and link counts are taken once, before anything is removed (an element's counts
    stay right: nothing inside it has been removed when it is visited). ``with_lines`` reads
    each removed element's lines into its :class:`PrunedBlock` (the generic path needs
    them)."""
    pruned: list[PrunedBlock] = []
    stats = _collect(body, judge)
    total = stats[body].chars
    if total == 0:
        return pruned
    linked_away = 0
    # iterchildren(etree.Element): the children that are elements (no comments), in C
    stack = list(body.iterchildren(etree.Element, reversed=True))
    while stack:
        element = stack.pop()
        tag = element.tag
        own = stats[element]
        rule: str | None = None
        if (tag in _CONTAINERS or tag in _LEAVES) and own.chars and own.chars < MAJORITY * total:
            rule = _rule_for(element, tag, own, stats, judge)
            if rule is not None and rule.startswith(LINK_RULES):
                if linked_away + own.chars > LINK_RULES_MAX * total:
                    rule = None
                else:
                    linked_away += own.chars
        if rule is None:
            stack.extend(element.iterchildren(etree.Element, reversed=True))
            continue
        by_links = rule.startswith(LINK_RULES)
        lines = (
            tuple(
                b.text
                for b in read_lines(element, judge.page_url)
                if not by_links or len(b.text) < LONG_LINE or b.link_share >= 0.5
            )
            if with_lines
            else ()
        )
        pruned.append(PrunedBlock(rule, _excerpt(text_of(element)), lines))
        remove(element)
    return pruned


def _opening(element: HtmlElement, size: int = 160) -> str:
    """The first ``size`` characters of the element's text, folded."""
    parts: list[str] = []
    count = 0
    for piece in element.itertext():
        parts.append(piece)
        count += len(piece)
        if count >= size * 2:
            break
    return fold("".join(parts))[:size]


def _rule_for(
    element: HtmlElement,
    tag: str,
    own: _Stats,
    stats: dict[HtmlElement, _Stats],
    judge: LinkJudge,
) -> str | None:
    size = own.chars
    if size <= _AD_MAX_TEXT and _is_ad_slot(element):
        return "ad slot (id/class)"
    promo = tag in _CONTAINERS and _has_block_children(element)
    if promo and READER_PROMO.search(_opening(element)):
        return "box addressed to the readers (a promotion)"
    link_chars, same_site, articles = own.link_chars, own.same_site, own.articles
    share = link_chars / max(size, 1)
    label = _label_of(element, stats)
    container = tag in _CONTAINERS
    beside: bool | None = None  # _holds_text_beside, read once a rule would apply
    if label is not None:
        rest = size - len(label)
        if container and (share >= 0.3 or articles >= 2 or rest <= 0):
            beside = _holds_text_beside(element, stats)
            if not beside:
                return f"labelled box: {label}"
        if tag in _LEAVES and link_chars >= 0.5 * max(rest, 1):
            return f"labelled link: {label}"
    card = container or tag == "li"
    if card and articles and size <= CARD_MAX and _headline_link(element, judge):
        return "related card (a headline linking to another article, and its teaser)"
    dense = container and same_site and share >= LINK_DENSE_SHARE
    if dense and (_has_block_children(element) or same_site >= 2 or articles):
        if beside is None:
            beside = _holds_text_beside(element, stats)
        if not beside:
            return f"link-dense block ({share:.0%} links, {same_site} to this outlet)"
    if (
        tag in _LEAVES
        and not _has_block_children(element)
        and same_site
        and share >= INLINE_LINK_SHARE
        and (articles or same_site >= 2 or size > 30)
    ):
        return "inline link to this outlet"
    return None


def suspicious_blocks(texts: list[tuple[str, float, int]]) -> list[tuple[str, str]]:
    """Blocks left in the body that look like boilerplate: (reason, text).

    ``texts`` holds each kept block's text, link share and number of links."""
    found: list[tuple[str, str]] = []
    for text, link_share, links in texts:
        if link_share >= 0.3:
            found.append((f"link-dense ({link_share:.0%} of its text is links)", _excerpt(text)))
        elif links >= 2 and len(text) < 160:
            found.append((f"short block with {links} links", _excerpt(text)))
        elif len(text) <= 60 and text.endswith(":"):
            found.append(("short labelled line", _excerpt(text)))
    return found
