"""The generic path: trafilatura finds the text, the page's structure cleans and completes it.

Used for sites without a profile whose pages carry no known CMS signature, and for a profiled
page whose body selector finds nothing (then trafilatura also gets the profile's pruning
selectors). trafilatura picks the article's lines; this module then applies the rules the
profiled path uses, read off the page's own markup:

* lines that belong to a box the structural rules prune (labelled related boxes, link-dense
  lists, inline related links, ad slots) are dropped — found by running those rules on the
  page and matching trafilatura's lines against the pruned blocks' lines;
* captions (``figcaption``, caption tables, centred/italic lines under a picture, "Ảnh: …")
  go to ``images`` with the pictures of the article's region, not into the text;
* learned boilerplate, other articles' titles, furniture and related-news headings go;
* a byline paragraph at the end gives the authors; fields are voted like everywhere else.

Only lines are ever removed, never added, so the text is bare trafilatura's minus what one of
these rules names.
"""

from __future__ import annotations

from copy import deepcopy
from functools import cache
from typing import TYPE_CHECKING

import trafilatura
from cssselect import GenericTranslator, SelectorError

from crawler.extraction import fields
from crawler.extraction.blocks import Block, BodyContent, read_body
from crawler.extraction.bodytext import finish_body
from crawler.extraction.captions import GENERIC_CAPTIONS
from crawler.extraction.explain import FieldChoice
from crawler.extraction.markup import author_markup, meta_authors
from crawler.extraction.pagekind import listing_evidence
from crawler.extraction.structure import prune_structure, strip_never_text
from crawler.extraction.text import fold
from crawler.extraction.voting import choose_authors, choose_date, choose_title, date_near
from crawler.items import Article

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.context import PageContext
    from crawler.items import ArticleImage


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


def line_key(text: str) -> str:
    """A line as matched between trafilatura's output and the page's blocks."""
    return fold(text).casefold()


def extract_generic(ctx: PageContext, version: str) -> Article:
    """The article as trafilatura finds it, cleaned and completed by the page's structure."""
    root, meta, explain, url, profile = ctx.root, ctx.meta, ctx.explain, ctx.url, ctx.profile
    crumbs: list[str] = []
    title, title_element = choose_title(
        root,
        meta,
        profile.template.title if profile else (),
        site_names=ctx.outlet_names,
        section_names=tuple(crumbs),
        judge=ctx.judge,
        explain=explain,
    )
    near = date_near(root, title_element)
    markup_authors = author_markup(root)

    prune = _prune_xpaths(profile.template.prune) if profile else ()
    explain.body_source = "trafilatura" + (" with the profile's prune selectors" if prune else "")
    document = trafilatura.bare_extraction(
        deepcopy(root),
        url=url,
        with_metadata=True,
        include_comments=False,
        prune_xpath=list(prune) or None,
    )
    raw_lines = [fold(line) for line in (getattr(document, "text", None) or "").split("\n")]
    lines = [line for line in raw_lines if line]

    body = next(iter(root.iter("body")), None)
    images: list[ArticleImage] = []
    pruned: dict[str, str] = {}
    region = BodyContent()
    if body is not None and lines:
        pruned = _block_pruned(body, ctx)
        whole = read_body(body, GENERIC_CAPTIONS, url)
        region = _region(whole, lines)
    language = fields.language(meta, "\n".join(lines), profile)
    vietnamese = language == "vi"

    # Lines in the order trafilatura gives them, as blocks the shared rules understand.
    kept: list[Block] = []
    for line in lines:
        rule = pruned.get(line_key(line))
        if rule is not None:
            explain.prune(rule, line)
            continue
        kept.append(_as_block(line, region))
    content = BodyContent(blocks=kept, images=region.images, captions=region.captions)
    _interleave_pictures(content, region)
    text = finish_body(content, ctx, title=title, lead_may_open=False)
    images = content.images
    blocks = text.blocks
    if ctx.signals is not None and ctx.signals.article_links is not None:
        ctx.listing = listing_evidence(blocks, root, ctx.judge)

    sapo: str | None = None
    if blocks:
        lead, marked = fields.strip_dateline(blocks[0].text, profile, vietnamese)
        description = fold(meta.first("og:description", "description") or "")
        if marked or (
            description and fields.strip_dateline(description, profile, vietnamese)[0] == lead
        ):
            sapo, blocks = lead, blocks[1:]
    explain.choose(
        "sapo",
        FieldChoice(sapo, "the first line" if sapo else None, "dateline marker or description"),
    )

    published = choose_date(
        meta,
        ctx.zone,
        template_value=None,
        near_headline=near,
        extra=getattr(document, "date", None),
        extra_source="trafilatura date",
        explain=explain,
    )
    modified = fields.modified(meta, None, ctx.zone)
    authors = choose_authors(
        [
            ("byline paragraph", text.byline_authors),
            ("json-ld author", meta.jsonld_people()),
            ("author markup", markup_authors),
            ("meta author", meta_authors(meta)),
            ("trafilatura author", (getattr(document, "author", None) or "").split(";")),
        ],
        ctx.outlet_names,
        explain,
    )
    categories = getattr(document, "categories", None) or []
    tags = (
        meta.jsonld_keywords()
        or meta.all("article:tag")
        or [t for raw in getattr(document, "tags", None) or [] for t in str(raw).split(",")]
    )
    if title is None:
        title = fold(getattr(document, "title", None) or "") or None
    return Article(
        url=url,
        canonical_url=fields.canonical_url(meta, url),
        outlet=fields.outlet_domain(url, profile),
        title=title,
        sapo=sapo,
        body="\n".join(b.text for b in blocks) or None,
        authors=fields.unique(authors),
        published_at=published.isoformat() if published else None,
        modified_at=modified.isoformat() if modified else None,
        category=fields.category_from([], meta) or (categories[0] if categories else None),
        tags=fields.unique(tags),
        images=images,
        language=language,
        slug=fields.slug_of(title),
        extractor_version=version,
    )


def _block_pruned(body: HtmlElement, ctx: PageContext) -> dict[str, str]:
    """Run the structural rules on the page body (in place, after trafilatura read its own
    copy); each line of every block they prune, with the rule.

    Hidden elements are removed too (pictures there are not the article's), but their lines
    do not count: some sites hide the rest of the article until "read more" is clicked."""
    strip_never_text(body)
    lines: dict[str, str] = {}
    for rule in prune_structure(body, ctx.judge):
        for line in rule.lines:
            lines.setdefault(line_key(line), rule.rule)
    return lines


def _region(whole: BodyContent, lines: list[str]) -> BodyContent:
    """The part of the page's blocks that holds trafilatura's lines: its pictures, captions."""
    keys = {line_key(line) for line in lines}
    matched = [
        i for i, b in enumerate(whole.blocks) if b.kind != "image" and line_key(b.text) in keys
    ]
    if not matched:
        return BodyContent()
    start, end = matched[0], matched[-1]
    # A picture just before the first line (a lead photo) belongs to the article too.
    while start > 0 and whole.blocks[start - 1].kind == "image":
        start -= 1
    blocks = whole.blocks[start : end + 2]
    used = {b.image for b in blocks if b.kind == "image" and b.image is not None}
    renumber = {old: new for new, old in enumerate(sorted(used))}
    images = [whole.images[old] for old in sorted(used)]
    region_blocks = [
        Block(text="", kind="image", image=renumber[b.image])
        if b.kind == "image" and b.image is not None
        else b
        for b in blocks
    ]
    captions = [i["caption"] for i in images if i["caption"]]
    return BodyContent(blocks=region_blocks, images=images, captions=captions)


def _as_block(line: str, region: BodyContent) -> Block:
    """A trafilatura line with the markup features of the page block it came from."""
    key = line_key(line)
    for block in region.blocks:
        if block.kind != "image" and line_key(block.text) == key:
            return Block(
                text=line,
                kind=block.kind,
                bold_share=block.bold_share,
                link_share=block.link_share,
                italic_share=block.italic_share,
                centred=block.centred,
                links=block.links,
                element=block.element,
            )
    return Block(text=line, kind="p")


def _interleave_pictures(content: BodyContent, region: BodyContent) -> None:
    """Put the region's picture markers among trafilatura's lines where the page has them,
    so captions and credits after a picture are recognised by position."""
    follows: dict[str, list[Block]] = {}
    pending: list[Block] = []
    for block in region.blocks:
        if block.kind == "image":
            pending.append(block)
        elif pending:
            follows.setdefault(line_key(block.text), []).extend(pending)
            pending = []
    out: list[Block] = []
    for block in content.blocks:
        out.extend(follows.pop(line_key(block.text), []))
        out.append(block)
    content.blocks = out
