"""Recognising a known CMS on an outlet nobody wrote a profile for.

Many provincial and national papers run the same vendor CMSes, and a CMS marks its pages
with its own class names (``cms-body``, ``td-post-content``...). A page of an unknown outlet
that carries one of :data:`crawler.outlets.templates.TEMPLATES`' signatures is read with that
template through a provisional profile: the page's own host as its domain, the generic
dateline marker, generic article-URL shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.extraction.dom import text_of
from crawler.extraction.structure import GENERIC_ARTICLE_PATTERNS
from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import TEMPLATES
from crawler.urls import fold_host

if TYPE_CHECKING:
    from crawler.extraction.dom import SelectorIndex
    from crawler.extraction.metadata import PageMetadata

MIN_BODY_CHARS = 200
"""A signature whose body holds less text than this is not trusted (a teaser box)."""


def sniff_profile(page: SelectorIndex, url: str, meta: PageMetadata) -> OutletProfile | None:
    """A provisional profile when the page carries a known CMS's signature, else None."""
    for template in TEMPLATES:
        for selector in template.signature:
            if not page.select(selector):
                continue
            body = next((e for s in template.body for e in page.select(s)), None)
            if body is None or len(text_of(body)) < MIN_BODY_CHARS:
                continue
            host = fold_host(urlsplit(url).hostname or "")
            return OutletProfile(
                name=host,
                domain=host,
                template=template,
                title=meta.first("og:site_name") or "",
                article_patterns=GENERIC_ARTICLE_PATTERNS,
                language=(meta.html_lang or "vi").split("-")[0].lower() or "vi",
            )
    return None
