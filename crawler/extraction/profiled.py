"""Extraction with a CMS template: the template says where the body and the fields are.

Used for outlets with a profile and for unknown outlets whose pages carry a known CMS's
signature (:mod:`crawler.extraction.sniff`). Selectors only say where to look: the body is
then cleaned by structure (:mod:`crawler.extraction.structure`), its text finished by the
shared rules (:mod:`crawler.extraction.bodytext`), and title, date and authors are voted on
between every source the page offers (:mod:`crawler.extraction.voting`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.extraction import fields
from crawler.extraction.blocks import prune, read_body
from crawler.extraction.bodytext import finish_body, same_text
from crawler.extraction.bylines import looks_like_byline, parse_byline
from crawler.extraction.captions import GENERIC_CAPTIONS
from crawler.extraction.dom import has_text, select_all, select_first, text_of
from crawler.extraction.explain import Candidate, FieldChoice
from crawler.extraction.lead import shown_description
from crawler.extraction.markup import author_markup, meta_authors
from crawler.extraction.structure import caption_hints, prune_structure, strip_never_text
from crawler.extraction.voting import choose_authors, choose_date, choose_title, date_near
from crawler.items import Article
from crawler.urls import same_site

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.context import PageContext
    from crawler.extraction.dom import SelectorIndex
    from crawler.outlets import OutletProfile
    from crawler.outlets.base import CmsTemplate


def visible_date(page: SelectorIndex, selectors: tuple[str, ...]) -> str | None:
    """The template's date element: a machine-readable attribute beats the printed text."""
    element = select_first(page, selectors)
    if element is None:
        return None
    for attribute in ("datetime", "content", "title"):
        value = str(element.get(attribute) or "")
        if value and any(ch.isdigit() for ch in value):
            return value
    return text_of(element) or None


def extract_profiled(ctx: PageContext, profile: OutletProfile, version: str) -> Article | None:
    """The article as the template describes it; None when its body selector finds nothing."""
    template = profile.template
    root, page, meta, explain = ctx.root, ctx.index, ctx.meta, ctx.explain
    body = select_first(page, template.body)
    explain.body_source = f"template body selector ({', '.join(template.body)})"
    if body is None or not has_text(body):
        body = body_after_lead(page, template)
        if body is None:
            return None
        explain.body_source = (
            "the paragraphs after the template's headline/sapo (its body selector found nothing)"
        )
    base_url = meta.base_href if meta.base_href and same_site(meta.base_href, ctx.url) else ctx.url

    crumbs = [text_of(a) for a in select_all(page, template.category)]
    title, title_element = choose_title(
        root,
        meta,
        template.title,
        site_names=ctx.outlet_names,
        section_names=tuple(crumbs),
        judge=ctx.judge,
        explain=explain,
        index=page,
    )
    published = choose_date(
        meta,
        ctx.zone,
        template_value=visible_date(page, template.published),
        near_headline=lambda: date_near(root, title_element),
        explain=explain,
    )
    modified = fields.modified(meta, visible_date(page, template.modified), ctx.zone)
    author_elements = [text_of(e) for e in select_all(page, template.author)]
    byline_after = _following_byline(body)
    tags = [text_of(a) for a in select_all(page, template.tags)]

    sapo_element = _lead_element(page, body, template.sapo)
    sapo = text_of(sapo_element) or None
    if sapo_element is not None and _contains(body, sapo_element):
        sapo_element.drop_tree()

    never = strip_never_text(body)
    explain.pruned.extend(never)
    for selector, element in prune(body, template.prune, page):
        explain.prune(f"template prune selector {selector}", text_of(element))
    explain.pruned.extend(prune_structure(body, ctx.judge))
    lead_picture = _lead_picture(body)
    content = read_body(body, template.caption, base_url, GENERIC_CAPTIONS)
    content.hints = caption_hints(never)
    if lead_picture is not None:
        lead = read_body(lead_picture, template.caption, base_url, GENERIC_CAPTIONS)
        content.images[:0] = lead.images
        content.captions[:0] = lead.captions
    text = finish_body(
        content,
        ctx,
        title=title,
        byline_last=template.byline_last_paragraph,
        lead_may_open=sapo is None,
        bold_lead=template.sapo_first_paragraph,
    )
    blocks = text.blocks
    sapo_source = "template sapo element" if sapo else None
    if text.sapo is not None:
        sapo, sapo_source = text.sapo, "the body's first paragraph (dateline marker or bold lead)"
    elif sapo is None:
        sapo = shown_description(root, meta, profile)
        sapo_source = "the element showing the page's description" if sapo else None
    if sapo is not None:
        sapo, _ = fields.strip_dateline(sapo, profile)
        # The lead printed again as the body's first paragraph (with or without its marker).
        if blocks and same_text(fields.strip_dateline(blocks[0].text, profile)[0], sapo):
            explain.prune("lead repeated as the first paragraph", blocks[0].text)
            blocks = blocks[1:]
    explain.choose("sapo", FieldChoice(sapo, sapo_source, "lead without its dateline marker"))

    authors = choose_authors(
        [
            ("template author element", author_elements),
            ("byline paragraph", text.byline_authors),
            ("byline right after the body", byline_after),
            ("author markup", lambda: author_markup(root)),
            ("json-ld author", meta.jsonld_people()),
            ("meta author", meta_authors(meta)),
        ],
        ctx.outlet_names,
        explain,
    )
    category = fields.category_from(crumbs, meta)
    tag_source = "template tag links"
    if not tags:
        tags, tag_source = meta.jsonld_keywords() or meta.all("article:tag"), "metadata keywords"
    explain.choose(
        "tags",
        FieldChoice(tags, tag_source if tags else None, "visible tag links first", []),
    )
    explain.choose(
        "category",
        FieldChoice(
            category,
            "breadcrumb" if crumbs else "metadata section",
            "last breadcrumb entry that is not the home link",
            [Candidate("breadcrumb", c) for c in crumbs],
        ),
    )
    return Article(
        url=ctx.url,
        canonical_url=fields.canonical_url(meta, ctx.url),
        outlet=profile.domain,
        title=title or None,
        sapo=sapo or None,
        body="\n".join(b.text for b in blocks) or None,
        authors=fields.unique(authors),
        published_at=published.isoformat() if published else None,
        modified_at=modified.isoformat() if modified else None,
        category=category,
        tags=fields.unique(tags),
        images=content.images,
        language=profile.language,
        slug=fields.slug_of(title),
        extractor_version=version,
    )


ANCHORED_MIN = 300
"""Paragraph text an element after the headline must hold to be taken for the body."""

_ANCHOR_LEVELS = 4


def _paragraph_text(element: HtmlElement) -> int:
    """Characters in the element's paragraph-like leaves (25+ characters, few links)."""
    total = 0
    for leaf in element.iter("p", "div", "h2", "h3", "blockquote", "li"):
        if any(isinstance(c.tag, str) and c.tag in ("p", "div") for c in leaf):
            continue
        text = text_of(leaf)
        linked = sum(len(text_of(a)) for a in leaf.iter("a"))
        if len(text) >= 25 and linked < 0.3 * len(text):
            total += len(text)
    return total


def body_after_lead(page: SelectorIndex, template: CmsTemplate) -> HtmlElement | None:
    """The body when the template's body selector finds nothing (a redesign renamed it):
    the first element after the template's sapo or headline holding paragraphs of text.

    Only the sapo and headline selectors the template names are trusted as anchors (not a
    bare ``h1``), so a page of another kind is not read as an article; an element the
    template prunes (or one inside it) is no body."""
    pruned = {e for selector in template.prune for e in page.select(selector)}
    anchors = [
        element
        for selectors in (template.sapo, tuple(s for s in template.title if s != "h1"))
        for element in select_all(page, selectors)[:1]
    ]
    for anchor in anchors:
        node: HtmlElement | None = anchor
        for _ in range(_ANCHOR_LEVELS):
            if node is None or node.tag == "body":
                break
            for sibling in node.itersiblings():
                if (
                    isinstance(sibling.tag, str)
                    and _paragraph_text(sibling) >= ANCHORED_MIN
                    and not any(a in pruned for a in (sibling, *sibling.iterancestors()))
                ):
                    return sibling
            node = node.getparent()
    return None


LEAD_PICTURE_SIBLINGS = 3
"""How many elements before the body are looked at for the article's lead picture."""


def _lead_picture(body: HtmlElement) -> HtmlElement | None:
    """The article's lead picture when it stands just before the body (a ``figure`` with its
    caption between the headline block and the text)."""
    for number, sibling in enumerate(body.itersiblings(preceding=True)):
        if number >= LEAD_PICTURE_SIBLINGS:
            break
        if not isinstance(sibling.tag, str):
            continue
        pictures = sibling.findall(".//img") if sibling.tag != "img" else [sibling]
        if sibling.tag == "figure" and len(pictures) == 1:
            return sibling
        if sibling.find(".//img") is None and len(text_of(sibling)) > 200:
            break  # text between: the picture (if any) is not the article's lead
    return None


def _following_byline(body: HtmlElement) -> list[str]:
    """A byline printed right after the body (its first text, if it is a credit)."""
    for anchor in (body, *list(body.iterancestors())[:2]):
        for sibling in anchor.itersiblings():
            if not isinstance(sibling.tag, str) or sibling.tag in ("script", "style"):
                continue
            text = text_of(sibling)
            if not text:
                continue
            return parse_byline(text) if len(text) <= 60 and looks_like_byline(text) else []
    return []


def _lead_element(
    page: SelectorIndex, body: HtmlElement, selectors: tuple[str, ...]
) -> HtmlElement | None:
    """The template's sapo element, when it is a lead: above the body (or at its top) and not
    a teaser in a list (a fallback selector such as ``.sapo`` also matches related teasers)."""
    for element in select_all(page, selectors):
        if any(a.tag == "li" for a in element.iterancestors()):
            continue
        if _contains(body, element) or _precedes(page.root, element, body):
            return element
    return None


def _precedes(root: HtmlElement, first: HtmlElement, second: HtmlElement) -> bool:
    """Whether ``first`` comes before ``second`` in document order (an ancestor comes before
    its descendants), found from where their ancestor chains part."""
    if first is second:
        return True
    chain_first = [first, *first.iterancestors()][::-1]
    chain_second = [second, *second.iterancestors()][::-1]
    if chain_first[0] is not chain_second[0] or chain_first[0] is not root:
        return False  # not both in this document
    for mine, theirs in zip(chain_first, chain_second, strict=False):
        if mine is not theirs:
            parent = mine.getparent()
            return bool(parent.index(mine) < parent.index(theirs))
    return len(chain_first) < len(chain_second)


def _contains(ancestor: HtmlElement, element: HtmlElement) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())
