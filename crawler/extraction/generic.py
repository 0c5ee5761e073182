"""The generic path: trafilatura, plus the Vietnamese boilerplate guards and our metadata.

Used for sites without a profile, and for a profiled outlet whose body selector finds nothing
(then trafilatura also gets the profile's pruning selectors). The text is bare trafilatura's
with only known boilerplate lines removed, so this path never keeps less article text than
bare trafilatura; a lead is only split off when the page shows it as text.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import trafilatura
from cssselect import GenericTranslator, SelectorError

from crawler.extraction import fields
from crawler.extraction.boilerplate import is_furniture, is_stop_heading
from crawler.extraction.bylines import split_authors
from crawler.extraction.dates import parse_any
from crawler.extraction.text import fold
from crawler.items import Article

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.metadata import PageMetadata
    from crawler.outlets import OutletProfile


@cache
def _prune_xpaths(selectors: tuple[str, ...]) -> tuple[str, ...]:
    translator = GenericTranslator()
    xpaths: list[str] = []
    for selector in selectors:
        try:
            xpaths.append(translator.css_to_xpath(selector, prefix="//"))
        except SelectorError:
            continue
    return tuple(xpaths)


def _guard(lines: list[str]) -> list[str]:
    """Cut the text at a related-news heading in its second half; drop furniture lines."""
    total = sum(len(line) for line in lines)
    seen = 0
    kept: list[str] = []
    for line in lines:
        if len(line) <= 40 and is_stop_heading(line) and seen >= total / 2:
            break
        seen += len(line)
        if is_stop_heading(line) or is_furniture(line):
            continue
        kept.append(line)
    return kept


def extract_generic(
    root: HtmlElement,
    meta: PageMetadata,
    url: str,
    profile: OutletProfile | None,
    version: str,
) -> Article:
    """The article as trafilatura finds it, with the boilerplate guards applied."""
    prune = _prune_xpaths(profile.template.prune) if profile else ()
    # trafilatura gets the tree already parsed (metadata was read from it first, as trafilatura
    # prunes it); its text is the same as from the HTML string, measured on the benchmark.
    document = trafilatura.bare_extraction(
        root, url=url, with_metadata=True, prune_xpath=list(prune) or None
    )
    text = getattr(document, "text", None) or ""
    lines = _guard([fold(line) for line in text.split("\n") if fold(line)])

    title = fold(getattr(document, "title", None) or "") or fields.title_from_metadata(
        meta, profile
    )
    if title and lines and lines[0].casefold() == title.casefold():
        lines = lines[1:]  # the headline repeated as the text's first line

    sapo: str | None = None
    language = fields.language(meta, text, profile)
    if lines:
        vietnamese = language == "vi"
        lead, marked = fields.strip_dateline(lines[0], profile, vietnamese)
        description = fold(meta.first("og:description", "description") or "")
        if marked:
            sapo, lines = lead, lines[1:]
        elif description and fields.strip_dateline(description, profile, vietnamese)[0] == lead:
            # The page shows its description as the first paragraph: that is the lead.
            sapo, lines = lead, lines[1:]

    zone = fields.local_zone(url, profile)
    published = fields.published(meta, None, zone) or parse_any(
        getattr(document, "date", None), zone
    )
    modified = fields.modified(meta, None, zone)
    authors = meta.jsonld_authors() or split_authors(getattr(document, "author", None) or "")
    categories = getattr(document, "categories", None) or []
    tags = (
        meta.jsonld_keywords()
        or meta.all("article:tag")
        or list(getattr(document, "tags", None) or [])
    )
    body = "\n".join(lines) or None
    return Article(
        url=url,
        canonical_url=fields.canonical_url(meta, url),
        outlet=fields.outlet_domain(url, profile),
        title=title or None,
        sapo=sapo,
        body=body,
        authors=fields.unique(authors),
        published_at=published.isoformat() if published else None,
        modified_at=modified.isoformat() if modified else None,
        category=fields.category_from([], meta) or (categories[0] if categories else None),
        tags=fields.unique(tags),
        images=[],
        language=language,
        slug=fields.slug_of(title),
        extractor_version=version,
    )
