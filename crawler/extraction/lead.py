"""The lead (sapo) shown above the body, found by the page's own description.

Vietnamese news pages print the sapo as its own element above the body (``h2.sapo``,
``div.detail-sapo``...), and repeat it as the page's description (``og:description``). When
no selector names that element, the element whose text is the description (dateline marker
aside) is the lead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.extraction import fields
from crawler.extraction.blocks import BLOCK_TAGS
from crawler.extraction.dom import text_of
from crawler.extraction.text import fold
from crawler.extraction.voting import title_key

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.metadata import PageMetadata
    from crawler.outlets import OutletProfile


LEAD_MIN = 20
"""Shorter descriptions are not looked for (site taglines are short)."""

SAPO_MAX = 1000
"""A lead longer than this is not a lead."""


def _page_chrome(element: HtmlElement) -> bool:
    """Navigation, footer, or a header that is the page's (an article's header holds its
    headline)."""
    if element.tag in ("nav", "footer"):
        return True
    return element.tag == "header" and element.find(".//h1") is None


def shown_description(
    root: HtmlElement, meta: PageMetadata, profile: OutletProfile | None
) -> str | None:
    """The element showing the page's description (``og:description``) as text: the lead,
    on pages that print it above the body where trafilatura does not look. Its text, or
    None. Only a description the page shows whole (dateline marker aside) counts."""
    description = fold(meta.first("og:description", "description") or "")
    if len(description) < LEAD_MIN:
        return None
    wanted, _ = fields.strip_dateline(description, profile)
    key = title_key(wanted)
    probe = wanted[:30]
    if "'" in probe and '"' in probe:
        return None
    quote = '"' if "'" in probe else "'"
    body = next(iter(root.iter("body")), None)
    if body is None:
        return None
    for text in body.xpath(f"//text()[contains(., {quote}{probe}{quote})]"):
        element = text.getparent()
        while element is not None and element.tag not in BLOCK_TAGS:
            element = element.getparent()
        if element is None or element.tag == "body":
            continue
        if any(_page_chrome(a) for a in element.iterancestors()):
            continue  # a tagline repeating a site-wide description
        shown: str = text_of(element)
        if len(shown) <= SAPO_MAX and title_key(fields.strip_dateline(shown, profile)[0]) == key:
            return shown
    return None
