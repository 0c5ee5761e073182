"""Extraction with an outlet profile: the template's selectors say where everything is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.extraction import fields
from crawler.extraction.blocks import Block, prune, read_body
from crawler.extraction.boilerplate import is_furniture, is_stop_heading
from crawler.extraction.bylines import looks_like_byline, parse_byline, split_authors
from crawler.extraction.dom import select_all, select_first, text_of
from crawler.items import Article
from crawler.urls import same_site

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.metadata import PageMetadata
    from crawler.outlets import OutletProfile


def _visible_date(root: HtmlElement, selectors: tuple[str, ...]) -> str | None:
    element = select_first(root, selectors)
    if element is None:
        return None
    # A machine-readable attribute beats the printed text.
    for attribute in ("datetime", "content", "title"):
        value = str(element.get(attribute) or "")
        if value and any(ch.isdigit() for ch in value):
            return value
    return text_of(element) or None


def _cut_related(blocks: list[Block]) -> list[Block]:
    """Drop a related-news block that survived pruning, from its heading on."""
    for index, block in enumerate(blocks):
        if not (len(block.text) <= 40 and is_stop_heading(block.text)):
            continue
        before = sum(len(b.text) for b in blocks[:index])
        after = sum(len(b.text) for b in blocks[index + 1 :])
        if after <= before:
            return blocks[:index]
        # A box near the top: drop the heading and the links listed under it.
        rest = blocks[index + 1 :]
        while rest and rest[0].link_share > 0.5:
            rest = rest[1:]
        return _cut_related(blocks[:index] + rest)
    return blocks


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def extract_profiled(
    root: HtmlElement, meta: PageMetadata, url: str, profile: OutletProfile, version: str
) -> Article | None:
    """The article as the profile's template describes it; None when the body is not found."""
    template = profile.template
    body = select_first(root, template.body)
    if body is None:
        return None
    base_url = meta.base_href if meta.base_href and same_site(meta.base_href, url) else url

    title = text_of(select_first(root, template.title)) or fields.title_from_metadata(meta, profile)
    sapo_element = select_first(root, template.sapo) if template.sapo else None
    sapo = text_of(sapo_element) or None
    if sapo_element is not None and _contains(body, sapo_element):
        sapo_element.drop_tree()

    prune(body, template.prune)
    content = read_body(body, template.caption, base_url)
    captions = {c.casefold() for c in content.captions}
    blocks = [
        b
        for b in _cut_related(content.blocks)
        if not is_furniture(b.text)
        and b.text.casefold() not in captions
        and not (title and _same(b.text, title))
    ]

    authors = [
        name
        for element in select_all(root, template.author)
        for name in split_authors(text_of(element))
    ]
    byline_last = template.byline_last_paragraph and blocks and blocks[-1].kind == "p"
    if byline_last and looks_like_byline(blocks[-1].text):
        credited = parse_byline(blocks.pop().text)
        authors = authors or credited

    if sapo is None and blocks:
        lead, marked = fields.strip_dateline(blocks[0].text, profile)
        if marked or (template.sapo_first_paragraph and blocks[0].bold_share > 0.9):
            sapo = lead
            blocks = blocks[1:]
    if sapo is not None:
        sapo, _ = fields.strip_dateline(sapo, profile)
        # The lead printed again as the body's first paragraph (with or without its marker).
        if blocks and _same(fields.strip_dateline(blocks[0].text, profile)[0], sapo):
            blocks = blocks[1:]

    zone = fields.local_zone(url, profile)
    published = fields.published(meta, _visible_date(root, template.published), zone)
    modified = fields.modified(meta, _visible_date(root, template.modified), zone)
    crumbs = [text_of(a) for a in select_all(root, template.category)]
    tags = [text_of(a) for a in select_all(root, template.tags)]
    body_text = "\n".join(b.text for b in blocks) or None

    return Article(
        url=url,
        canonical_url=fields.canonical_url(meta, url),
        outlet=profile.domain,
        title=title or None,
        sapo=sapo or None,
        body=body_text,
        authors=fields.unique(authors or meta.jsonld_authors()),
        published_at=published.isoformat() if published else None,
        modified_at=modified.isoformat() if modified else None,
        category=fields.category_from(crumbs, meta),
        tags=fields.unique(tags or meta.jsonld_keywords() or meta.all("article:tag")),
        images=content.images,
        language=profile.language,
        slug=fields.slug_of(title),
        extractor_version=version,
    )


def _contains(ancestor: HtmlElement, element: HtmlElement) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())
