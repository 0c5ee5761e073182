"""Author credits in markup any CMS may use (for pages whose template names none)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.extraction.dom import compiled, text_of

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.metadata import PageMetadata

AUTHOR_MARKUP: tuple[str, ...] = (
    "[itemprop=author] [itemprop=name]",
    "[itemprop=author]",
    "[data-role=author]",
    "a[rel=author]",
    "a[href*='/author/']",
    "a[href*='/tac-gia/']",
    ".author-name",
    ".author .name",
    "[class*=author] .name",
    ".article-author",
    ".byline",
    ".author",
    "[class*=author]",
)
"""Author markup, most specific first; the first selector that matches is used."""

_MAX_CREDIT = 80
_ELSEWHERE = re.compile(r"comment|binh-?luan|sidebar|widget|footer|related|popular", re.I)


def _in_article(element: HtmlElement) -> bool:
    """Not inside comments, sidebars or footers (their names are not the article's)."""
    for node in (element, *element.iterancestors()):
        marker = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node.tag in ("aside", "footer") or _ELSEWHERE.search(marker):
            return False
    return True


# Every element AUTHOR_MARKUP can match is one of these or inside one: the selectors are
# only run inside the outermost of them (one pass over the page instead of one per selector).
# Written as a union over the attributes (then their elements): only elements that have the
# attribute are tested, twice as fast as testing seven conditions on every element; a union
# is in document order without repeats, as ``//*[...]`` is.
_CANDIDATES = etree.XPath(
    "//@class[contains(., 'author') or contains(., 'byline')]/.."
    " | //@itemprop[. = 'author']/.. | //@data-role[. = 'author']/.. | //@rel[. = 'author']/.."
    " | //@href[contains(., '/author/') or contains(., '/tac-gia/')]/.."
)


def author_markup(root: HtmlElement) -> list[str]:
    """Texts of the first author markup found (short ones only: a credit, not a bio)."""
    candidates = _CANDIDATES(root)
    if not candidates:
        return []
    marked = set(candidates)
    outermost = [c for c in candidates if not any(a in marked for a in c.iterancestors())]
    for selector in AUTHOR_MARKUP:
        found = [e for place in outermost for e in compiled(selector)(place)]
        texts = [text_of(e) for e in found if _in_article(e)]
        texts = [t for t in texts if t and len(t) <= _MAX_CREDIT]
        if texts:
            return list(dict.fromkeys(texts))
    return []


def meta_authors(meta: PageMetadata) -> list[str]:
    """``<meta name=author>`` / ``article:author`` values that are names, not profile URLs."""
    values = [*meta.all("author"), *meta.all("article:author"), *meta.all("dc.creator")]
    return [v for v in values if "://" not in v]
