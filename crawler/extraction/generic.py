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

import re
from contextlib import suppress
from functools import cache
from typing import TYPE_CHECKING, Any

import trafilatura
from cssselect import GenericTranslator, SelectorError
from trafilatura.metadata import (  # extract_metadata's steps
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.settings import Extractor

from crawler.extraction import fields
from crawler.extraction.blocks import Block, BodyContent, read_body
from crawler.extraction.bodytext import finish_body, same_text
from crawler.extraction.boilerplate import is_stop_heading
from crawler.extraction.bylines import looks_like_byline
from crawler.extraction.captions import GENERIC_CAPTIONS
from crawler.extraction.explain import FieldChoice
from crawler.extraction.lead import shown_description
from crawler.extraction.markup import author_markup, meta_authors
from crawler.extraction.pagekind import listing_evidence
from crawler.extraction.structure import (
    caption_hints,
    is_box_label,
    prune_structure,
    strip_never_text,
)
from crawler.extraction.text import fold
from crawler.extraction.voting import (
    choose_authors,
    choose_date,
    choose_title,
    date_near,
    people,
)
from crawler.items import Article

if TYPE_CHECKING:
    from collections.abc import Callable

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


_BULLET = re.compile(r"^(?:[-*•]\s+)")


def _row(line: str) -> str:
    """A table row as trafilatura writes it ("| a | b | |") as the profiled path writes it
    ("a | b"); other lines unchanged."""
    if not (line.startswith("|") and line.endswith("|")):
        return line
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    return " | ".join(cell for cell in cells if cell)


def line_key(text: str) -> str:
    """A line as matched between trafilatura's output and the page's blocks (trafilatura
    writes list items as "- item" and table rows as "| cell | cell |")."""
    return _BULLET.sub("", fold(text).strip("| ")).casefold()


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
    markup_authors = author_markup(root)
    shown_lead = shown_description(root, meta, profile)

    prune = _prune_xpaths(profile.template.prune) if profile else ()
    explain.body_source = "trafilatura" + (" with the profile's prune selectors" if prune else "")
    # trafilatura reads (and prunes) its own copy of a tree it is given (bare_extraction
    # copies it since 2.3), so ``root`` is handed over as is. Its metadata is read apart, and
    # only as far as a field is needed (see _TrafilaturaMetadata).
    document = trafilatura.bare_extraction(
        root,
        url=url,
        with_metadata=not url,  # without a URL trafilatura reads the page's own
        include_comments=False,
        prune_xpath=list(prune) or None,
    )
    # What the fields below may take from trafilatura's metadata (read with the date if that
    # is needed, else before the structural rules change the tree): the title when no other
    # source gives one, the authors when no markup or metadata names a person (the byline is
    # only known later), the categories and tags when the page's metadata declares none.
    wanted = set(_TrafilaturaMetadata.FIELDS) if explain.thorough else set()
    if title is None:
        wanted.add("title")
    if not any(
        people(names, ctx.outlet_names)[0]
        for names in (markup_authors, meta.jsonld_people(), meta_authors(meta))
    ):
        wanted.add("author")
    if fields.category_from([], meta) is None:
        wanted.add("categories")
    if not (meta.jsonld_keywords() or meta.all("article:tag")):
        wanted.add("tags")
    tmeta = _TrafilaturaMetadata(root, url, document, wanted)
    # Chosen before the structural rules prune the tree: the text near the headline is only
    # read when the metadata leaves the date open.
    published = choose_date(
        meta,
        ctx.zone,
        template_value=None,
        near_headline=lambda: date_near(root, title_element),
        extra=lambda: tmeta.field("date"),
        extra_source="trafilatura date",
        explain=explain,
    )
    raw_lines = [fold(line) for line in (getattr(document, "text", None) or "").split("\n")]
    lines = [_row(line) for line in raw_lines if line]
    lines = [line for line in lines if line]
    tmeta.read()  # before the structural rules change the tree
    tmeta.close()

    body = next(iter(root.iter("body")), None)
    images: list[ArticleImage] = []
    content = BodyContent()
    if body is not None and lines:
        pruned = _block_pruned(body, ctx)
        whole = read_body(body, (), url, GENERIC_CAPTIONS)
        content = assemble(lines, whole, pruned, ctx)
    language = fields.language(meta, "\n".join(lines), profile)
    vietnamese = language == "vi"
    text = finish_body(content, ctx, title=title, lead_may_open=False)
    images = content.images
    blocks = text.blocks
    if ctx.signals is not None and ctx.signals.links is not None:
        ctx.listing = listing_evidence(blocks, ctx.signals.links)

    sapo: str | None = None
    sapo_source: str | None = None
    if blocks:
        lead, marked = fields.strip_dateline(blocks[0].text, profile, vietnamese)
        description = fold(meta.first("og:description", "description") or "")
        described = fields.strip_dateline(description, profile, vietnamese)[0]
        if description and lead.lstrip("-–— ") == described:
            lead = described  # a dateline marker printed as a picture (a logo) and a dash
        if marked or (description and described == lead):
            sapo, blocks = lead, blocks[1:]
            sapo_source = "the first line (dateline marker, or the page's description)"
    # Vietnamese news pages print the sapo (the lead the archive stores apart) above the body;
    # elsewhere a standfirst repeating the description is as often a teaser as a lead.
    if sapo is None and shown_lead is not None and vietnamese:
        sapo = fields.strip_dateline(shown_lead, profile, vietnamese)[0]
        sapo_source = "the element showing the page's description (outside trafilatura's text)"
        blocks = [
            b
            for b in blocks
            if not same_text(fields.strip_dateline(b.text, profile, vietnamese)[0], sapo)
        ]
    explain.choose("sapo", FieldChoice(sapo, sapo_source, "the lead shown above the body"))

    modified = fields.modified(meta, None, ctx.zone)
    authors = choose_authors(
        [
            ("byline paragraph", text.byline_authors),
            ("author markup", markup_authors),
            ("json-ld author", meta.jsonld_people()),
            ("meta author", meta_authors(meta)),
            ("trafilatura author", lambda: (tmeta.field("author") or "").split(";")),
        ],
        ctx.outlet_names,
        explain,
    )
    category = fields.category_from([], meta)
    if category is None:
        categories = tmeta.field("categories") or []
        category = categories[0] if categories else None
    tags = (
        meta.jsonld_keywords()
        or meta.all("article:tag")
        or [t for raw in tmeta.field("tags") or [] for t in str(raw).split(",")]
    )
    if title is None:
        title = fold(tmeta.field("title") or "") or None
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
        category=category,
        tags=fields.unique(tags),
        images=images,
        language=language,
        slug=fields.slug_of(title),
        extractor_version=version,
    )


class _TrafilaturaMetadata:
    """trafilatura's metadata of the page, as ``bare_extraction(with_metadata=True)`` would
    have added it to its document, read only as far as the fields used need (reading all of
    it is a tenth of the generic path's time). It is read from the tree trafilatura was
    given, so never after :meth:`close` (the structural rules change the tree then). None of
    it when trafilatura found nothing (its document then had none either)."""

    FIELDS = frozenset({"title", "author", "date", "categories", "tags"})

    def __init__(self, root: HtmlElement, url: str, document: Any, wanted: set[str]) -> None:
        self._root, self._url, self._wanted = root, url, wanted
        # Without a URL, bare_extraction was asked for its metadata (it needs the page's).
        self._document: Any = document if document is None or not url else None
        settled = self._document is not None or document is None  # nothing to read
        self._known: frozenset[str] = self.FIELDS if settled else frozenset()
        self._closed = False

    def read(self, also: str | None = None) -> None:
        """Read the wanted fields (and ``also``) now, once."""
        wanted = frozenset(self._wanted | ({also} if also else set()))
        if wanted <= self._known:
            return
        if self._closed:
            raise RuntimeError("trafilatura's metadata read after the tree changed")
        try:
            self._document = self._read(wanted)
        except (TypeError, ValueError):  # bare_extraction would have found nothing
            self._document = None
        self._known = wanted

    def _read(self, wanted: frozenset[str]) -> Any:
        """These fields as extract_metadata finds them, with bare_extraction's arguments: its
        steps for them in its order, those for other fields (site name, licence) left out
        (each step reads the tree, and each field only the steps before it for it)."""
        root, options = self._root, Extractor(url=self._url, with_metadata=True)
        document = examine_meta(root)
        if document.author and " " not in document.author:
            document.author = None
        with suppress(Exception):  # as extract_metadata (bugs in its JSON-LD reader)
            document = extract_meta_json(root, document)
        if "title" in wanted and not document.title:
            document.title = extract_title(root)
        if "author" in wanted and not document.author:
            document.author = extract_author(root)  # (bare_extraction has no blacklist)
        if "date" in wanted:
            if not document.url:
                document.url = extract_url(root, options.url)
            date_params = {**options.date_params, "url": document.url}
            # htmldate's find_date, the one extract_metadata calls (not declared exported)
            document.date = trafilatura.metadata.find_date(root, **date_params)  # type: ignore[attr-defined]
        if "categories" in wanted and not document.categories:
            document.categories = extract_catstags("category", root)
        if "tags" in wanted and not document.tags:
            document.tags = extract_catstags("tag", root)
        document.clean_and_trim()
        return document

    def close(self) -> None:
        """The tree is about to change: no reading from here on."""
        self._closed = True

    def field(self, name: str) -> Any:
        """One field of the metadata (None if there is none)."""
        self.read(name)
        return getattr(self._document, name, None)


def _block_pruned(body: HtmlElement, ctx: PageContext) -> dict[str, str]:
    """Run the structural rules on the page body (in place, after trafilatura read its own
    copy); each line of every block they prune, with the rule.

    Hidden elements are removed too (pictures there are not the article's), but their lines
    do not count: some sites hide the rest of the article until "read more" is clicked."""
    ctx.hints = caption_hints(strip_never_text(body))
    lines: dict[str, str] = {}
    for rule in prune_structure(body, ctx.judge, with_lines=True):
        for line in rule.lines:
            lines.setdefault(line_key(line), rule.rule)
    return lines


def _ancestors(element: HtmlElement) -> list[HtmlElement]:
    return [element, *element.iterancestors()]


CONTENT_SHARE = 0.8
"""The content element holds at least this share of the matched lines' text."""


def content_element(blocks: list[Block]) -> HtmlElement | None:
    """The deepest element holding most (:data:`CONTENT_SHARE`) of these blocks' text:
    where the article is, even when trafilatura also took a stray line from elsewhere."""
    weight: dict[HtmlElement, int] = {}
    depth: dict[HtmlElement, int] = {}
    total = 0
    for block in blocks:
        if block.element is None:
            continue
        total += len(block.text)
        chain = _ancestors(block.element)
        for level, ancestor in enumerate(reversed(chain)):
            weight[ancestor] = weight.get(ancestor, 0) + len(block.text)
            depth[ancestor] = level
    heavy = [e for e, w in weight.items() if w >= CONTENT_SHARE * total]
    if not heavy:
        return None
    best = max(heavy, key=lambda e: depth[e])
    return None if best.tag in ("body", "html") else best


GAP_MAX_LINK_SHARE = 0.5
"""A skipped block between trafilatura's lines is taken back only if it is mostly not links."""


GAP_PARAGRAPH_MIN = 100
"""A skipped paragraph shorter than this is more often a credit or a widget than text."""


def _worth_taking_back(gap: Block, k: int, blocks: list[Block], chosen: set[int]) -> bool:
    """Which skipped blocks come back: list items and quotes; paragraphs long enough to be
    text; a subheading between two of the article's lines (it introduces the next one),
    unless it names a box. Table rows and short lines stay out (credits, counters)."""
    if gap.kind in ("li", "quote"):
        return True
    if gap.kind == "p":
        return len(gap.text) >= GAP_PARAGRAPH_MIN
    if gap.kind == "h":
        return (
            k + 1 in chosen
            and not is_box_label(gap.text)
            and not is_stop_heading(gap.text)
            and len(gap.text) <= 200
        )
    return False


def _match(keys: list[str], whole: BodyContent, block_keys: list[str]) -> dict[int, int]:
    """Line index -> index of the page block it came from (in page order where possible).

    ``block_keys`` holds :func:`line_key` of every block's text (computed once: a line that
    is not found whole is looked for inside every later block). A line that is a picture's
    caption (read off the page's caption markup) is matched with that picture's marker."""
    blocks = whole.blocks
    where: dict[str, list[int]] = {}
    for j, block in enumerate(blocks):
        if block.kind != "image":
            where.setdefault(block_keys[j], []).append(j)
        elif block.image is not None:
            caption = whole.images[block.image]["caption"]
            if caption:
                where.setdefault(line_key(caption), []).append(j)
    position: dict[int, int] = {}
    used: set[int] = set()
    cursor = 0
    for index, key in enumerate(keys):
        free = [j for j in where.get(key, ()) if j not in used]
        if not free:
            # A piece of a paragraph trafilatura broke at a line break: the block holding it.
            if len(key) < 20:
                continue
            j = next(
                (j for j in range(cursor, len(blocks)) if key in block_keys[j]),
                -1,
            )
            if j < 0:
                continue
            position[index] = j
            cursor = j
            continue
        j = next((j for j in free if j >= cursor), free[0])
        position[index] = j
        used.add(j)
        cursor = j + 1
    return position


def _inside(element: HtmlElement | None, container: HtmlElement | None) -> bool:
    if element is None or container is None:
        return False
    return any(a is container for a in _ancestors(element))


def assemble(
    lines: list[str], whole: BodyContent, pruned: dict[str, str], ctx: PageContext
) -> BodyContent:
    """trafilatura's lines as blocks, with the page's own blocks where they help.

    Each line is matched with the page block it came from (its markup features come
    along). Between two consecutive lines of the content element (the deepest element
    holding most of the lines), the page blocks trafilatura skipped are taken back:
    subheadings and list items some layouts make it drop. Pictures between the lines come
    along as markers, so captions are found by position. Lines the structural rules pruned
    are dropped."""
    keys = [line_key(line) for line in lines]
    blocks = whole.blocks
    block_keys = [line_key(block.text) for block in blocks]
    position = _match(keys, whole, block_keys)
    # trafilatura breaks some paragraphs at the source's line breaks: a skipped block whose
    # text it did output, in pieces, is no gap.
    said = " ".join(keys)
    container = content_element([blocks[j] for j in position.values()])
    chosen = set(position.values())
    out: list[Block] = []
    used_images: list[int] = []

    def picture(k: int) -> None:
        image = blocks[k].image
        if image is not None and image not in used_images:
            used_images.append(image)
            out.append(Block(text="", kind="image", image=len(used_images) - 1))

    marker_of = {b.image: k for k, b in enumerate(blocks) if b.kind == "image"}

    def picture_of(image: int) -> None:
        picture(marker_of[image])

    previous: int | None = None
    for index, line in enumerate(lines):
        j = position.get(index)
        if j is not None and _inside(blocks[j].element, container):
            start = previous + 1 if previous is not None and previous < j else j
            if previous is None:  # a lead photo just before the first line
                while start > 0 and blocks[start - 1].kind == "image":
                    start -= 1
            for k in range(start, j + 1 if blocks[j].kind == "image" else j):
                gap = blocks[k]
                if gap.kind == "image":
                    picture(k)
                elif (
                    previous is not None
                    and k not in chosen
                    and gap.link_share < GAP_MAX_LINK_SHARE
                    and block_keys[k] not in pruned
                    and _inside(gap.element, container)
                    and _worth_taking_back(gap, k, blocks, chosen)
                    and block_keys[k][:80] not in said
                ):
                    ctx.explain.prune("(kept) skipped by trafilatura, inside the content", gap.text)
                    out.append(gap)
            previous = j
        rule = pruned.get(keys[index])
        if rule is None and j is None:
            rule = _pruned_inside(keys[index], pruned)
        if rule is not None:
            ctx.explain.prune(rule, line)
            continue
        if j is None:
            line = _without_captions(line, whole, picture_of)
            if not line:
                continue
        out.append(_with_features(line, blocks[j] if j is not None else None))
    if previous is not None:  # pictures right after the last line belong to the article
        for k in range(previous + 1, min(previous + 3, len(blocks))):
            if blocks[k].kind == "image":
                picture(k)
        out.extend(_trailing_byline(blocks, previous, container))
    images = [whole.images[i] for i in used_images]
    captions = [i["caption"] for i in images if i["caption"]]
    return BodyContent(blocks=out, images=images, captions=captions, hints=ctx.hints)


PRUNED_IN_LINE_MIN = 25
"""Pruned lines shorter than this are not looked for inside trafilatura's lines."""


def _pruned_inside(key: str, pruned: dict[str, str]) -> str | None:
    """The rule of pruned blocks that make up most of a line trafilatura joined from them
    (a related entry's headline, time and teaser as one line)."""
    covered = 0
    rule: str | None = None
    for line, why in pruned.items():
        if len(line) >= PRUNED_IN_LINE_MIN and line in key:
            covered += len(line)
            rule = rule or why
    return rule if covered >= 0.5 * len(key) else None


CAPTION_IN_LINE_MIN = 20
"""Captions shorter than this are not looked for inside other lines."""


def _without_captions(line: str, whole: BodyContent, picture_of: Callable[[int], None]) -> str:
    """A line trafilatura joined from captions (pictures in a row): the captions go to their
    pictures (marked here), what is left of the line stays text."""
    for image, item in enumerate(whole.images):
        caption = item["caption"]
        if not caption or len(caption) < CAPTION_IN_LINE_MIN:
            continue
        at = line.casefold().find(caption.casefold())
        if at < 0 or len(line.casefold()) != len(line):
            continue
        picture_of(image)
        line = fold(line[:at] + " " + line[at + len(caption) :])
    return line


TRAILING_BLOCKS = 3
"""How many blocks after the article's last line are looked at for its byline."""


def _trailing_byline(blocks: list[Block], last: int, container: HtmlElement | None) -> list[Block]:
    """The byline lines right after the article's last line, which trafilatura often drops
    (names in links, a credit box under the body): handed to the byline rule."""
    scope = container.getparent() if container is not None else None
    found: list[Block] = []
    for block in blocks[last + 1 : last + 1 + TRAILING_BLOCKS]:
        if block.kind == "image":
            continue
        if block.kind != "p" or not looks_like_byline(block.text):
            break
        if scope is not None and not _inside(block.element, scope):
            break
        found.append(block)
    return found


def _with_features(line: str, source: Block | None) -> Block:
    """A trafilatura line with the markup features of the page block it came from."""
    if source is None:
        return Block(text=line, kind="p")
    return Block(
        text=line,
        kind=source.kind,
        bold_share=source.bold_share,
        link_share=source.link_share,
        italic_share=source.italic_share,
        centred=source.centred,
        links=source.links,
        element=source.element,
    )
