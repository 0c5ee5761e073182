"""Reading an article body element into text blocks, pictures and captions.

The body is walked once in document order. Block-level elements (paragraphs, headings, list
items, table rows, quotes) become :class:`Block` objects; inline markup is flattened; image
``alt``/``title`` text is never read (outlets repeat the headline there). Every picture leaves
an ``"image"`` marker block where it stands, so rules that need to know what follows a
picture (an italic caption line, an "Ảnh: …" credit) can see it. Captions found by the
template's selectors are attached to the nearest preceding picture and taken out of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from crawler.extraction.dom import compiled, has_text, remove, text_of
from crawler.extraction.text import fold

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.dom import SelectorIndex
    from crawler.items import ArticleImage

BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "center",
        "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "figure", "figcaption", "pre", "address", "table", "tbody", "thead",
        "tfoot", "caption", "hr", "nav", "details", "summary",
    }
)  # fmt: skip
"""Elements that start a new block of text."""

_SKIP_TAGS = frozenset(
    {"img", "picture", "source", "video", "audio", "svg", "canvas", "object", "embed", "map",
     "input", "select", "textarea", "label", "template", "script", "style", "noscript",
     "iframe", "button"}
)  # fmt: skip
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOLD_TAGS = frozenset({"strong", "b"})
_ITALIC_TAGS = frozenset({"em", "i"})
_FORMATTING_TAGS = _BOLD_TAGS | _ITALIC_TAGS | {"a"}
_CELL_TAGS = frozenset({"td", "th", "tr"})
_IMAGE_SOURCES = ("data-src", "data-original", "data-lazy-src", "src")
CAPTION_MAX_CHARS = 600
"""An element a caption selector matches but holding more text is a wrapper, not a caption."""

_ICON = re.compile(r"\.svgz?$", re.IGNORECASE)
_CENTRED = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)


@dataclass
class Block:
    """One paragraph-like unit of body text, or the place of a picture."""

    text: str
    """The block's text, NFC, white space folded ("" for a picture)."""

    kind: str
    """"p", "h" (subheading), "li", "row" (table row), "quote", "pre" or "image"."""

    bold_share: float = 0.0
    """Share of the text inside ``<strong>``/``<b>`` (1.0: a bold lead or subheading)."""

    link_share: float = 0.0
    """Share of the text inside links (high for lists of related articles)."""

    italic_share: float = 0.0
    """Share of the text inside ``<em>``/``<i>`` (1.0: an italic caption line)."""

    centred: bool = False
    """The block (or the block element around it) is centred, as captions often are."""

    links: tuple[str, ...] = ()
    """Targets (``href``) of the links inside the block, as written."""

    image: int | None = None
    """For ``"image"`` blocks: the picture's index in :attr:`BodyContent.images`."""

    element: HtmlElement | None = field(default=None, repr=False, compare=False)
    """The innermost block element the text was read from (None for pictures)."""


@dataclass
class BodyContent:
    """What a body element holds once read."""

    blocks: list[Block] = field(default_factory=list)
    """Text blocks and picture markers in document order."""

    images: list[ArticleImage] = field(default_factory=list)
    """Pictures with their captions, in document order."""

    captions: list[str] = field(default_factory=list)
    """Every caption text found (to keep them out of the text if repeated elsewhere)."""

    hints: frozenset[str] = frozenset()
    """Texts the page hid in its pictures' blocks: a shown text equal to one is a caption."""

    def text_blocks(self) -> list[Block]:
        """The blocks that hold text (picture markers left out)."""
        return [b for b in self.blocks if b.kind != "image"]


@dataclass(slots=True)
class _Buffer:
    parts: list[str] = field(default_factory=list)
    bold_chars: int = 0
    link_chars: int = 0
    italic_chars: int = 0
    total_chars: int = 0
    links: list[str] = field(default_factory=list)


class _Walker:
    def __init__(self, image_index: dict[HtmlElement, int]) -> None:
        self.blocks: list[Block] = []
        self.buffer = _Buffer()
        self.kind_stack: list[str] = ["p"]
        self.centred_stack: list[bool] = [False]
        self.element_stack: list[HtmlElement | None] = [None]
        self.bold_depth = 0
        self.link_depth = 0
        self.italic_depth = 0
        self.image_index = image_index

    def flush(self) -> None:
        if not self.buffer.parts and not self.buffer.links:
            return  # nothing read since the last flush: the buffer is still a fresh one
        joined = "".join(self.buffer.parts)
        # Most buffers hold only the white space between two block tags: nothing to fold.
        text = "" if joined.isspace() else fold(joined)
        if text:
            total = max(self.buffer.total_chars, 1)
            self.blocks.append(
                Block(
                    text=text,
                    kind=self.kind_stack[-1],
                    bold_share=self.buffer.bold_chars / total,
                    link_share=self.buffer.link_chars / total,
                    italic_share=self.buffer.italic_chars / total,
                    centred=self.centred_stack[-1],
                    links=tuple(self.buffer.links),
                    element=self.element_stack[-1],
                )
            )
        self.buffer = _Buffer()

    def add(self, text: str | None) -> None:
        if not text:
            return
        # What the text adds to the block, and to its bold, link and italic shares.
        buffer = self.buffer
        buffer.parts.append(text)
        size = len(text.strip())
        buffer.total_chars += size
        if self.bold_depth > 0:
            buffer.bold_chars += size
        if self.link_depth > 0:
            buffer.link_chars += size
        if self.italic_depth > 0:
            buffer.italic_chars += size

    def walk(self, element: HtmlElement) -> None:
        # The hottest loop of body reading: self.add() is only called for a text or tail
        # that is there (most are None), and flush() only when something was read.
        tag = element.tag  # read once: lxml builds the string anew on every access
        if not isinstance(tag, str):
            tag = ""
        if not tag or tag in _SKIP_TAGS:
            # A picture (also inside <picture>) leaves its marker; no text is read from it.
            for img in element.iter("img") if tag else ():
                if img in self.image_index:
                    self.flush()
                    self.blocks.append(Block(text="", kind="image", image=self.image_index[img]))
            tail = element.tail
            if tail:
                self.add(tail)
            return
        if tag == "br":
            self.flush()
            tail = element.tail
            if tail:
                self.add(tail)
            return
        if tag == "tr" and not _has_block_cells(element):
            self._row(element)
            tail = element.tail
            if tail:
                self.add(tail)
            return
        is_block = tag in BLOCK_TAGS or tag in _CELL_TAGS
        if is_block:
            if self.buffer.parts or self.buffer.links:  # else flush() has nothing to do
                self.flush()
            self.kind_stack.append(_kind(tag, self.kind_stack[-1]))
            self.centred_stack.append(_is_centred(element, tag) or self.centred_stack[-1])
            self.element_stack.append(element)
        if tag in _FORMATTING_TAGS:
            bold = tag in _BOLD_TAGS
            link = tag == "a"
            italic = tag in _ITALIC_TAGS
            href = element.get("href") if link else None
            if href:
                self.buffer.links.append(str(href).strip())
            self.bold_depth += bold
            self.link_depth += link
            self.italic_depth += italic
            text = element.text
            if text:
                self.add(text)
            for child in element:
                self.walk(child)
            self.bold_depth -= bold
            self.link_depth -= link
            self.italic_depth -= italic
        else:
            text = element.text
            if text:
                self.add(text)
            for child in element:
                self.walk(child)
        if is_block:
            if self.buffer.parts or self.buffer.links:
                self.flush()
            self.kind_stack.pop()
            self.centred_stack.pop()
            self.element_stack.pop()
        tail = element.tail
        if tail:
            self.add(tail)

    def _row(self, row: HtmlElement) -> None:
        """A data table row: its cells joined by " | " (pictures in cells still marked)."""
        self.flush()
        cells: list[str] = []
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            for img in cell.iter("img"):
                if img in self.image_index:
                    self.blocks.append(Block(text="", kind="image", image=self.image_index[img]))
            text = text_of(cell)
            if text:
                cells.append(text)
        if cells:
            links = tuple(str(a.get("href")).strip() for a in row.iter("a") if a.get("href"))
            linked = sum(len(text_of(a)) for a in row.iter("a"))
            total = max(sum(len(c) for c in cells), 1)
            self.blocks.append(
                Block(
                    text=" | ".join(cells),
                    kind="row",
                    link_share=min(1.0, linked / total),
                    centred=_is_centred(row, "tr") or self.centred_stack[-1],
                    links=links,
                    element=row,
                )
            )


def _is_centred(element: HtmlElement, tag: str) -> bool:
    if tag == "center" or str(element.get("align") or "").lower() == "center":
        return True
    style = element.get("style")
    return style is not None and _CENTRED.search(str(style)) is not None


def _kind(tag: str, parent_kind: str) -> str:
    if tag in _HEADING_TAGS:
        return "h"
    if tag in ("li", "dt", "dd"):
        return "li"
    if tag == "blockquote":
        return "quote"
    if tag == "pre":
        return "pre"
    return parent_kind if parent_kind in ("li", "quote") else "p"


def _has_block_cells(row: HtmlElement) -> bool:
    return any(
        isinstance(child.tag, str) and child.tag in ("p", "div", "ul", "ol", "table", "h2", "h3")
        for cell in row
        for child in cell
    )


def image_url(img: HtmlElement, base_url: str) -> str | None:
    """The absolute URL of an article picture (lazy-loading attributes first), or None for
    icons and badges: vector files, and pictures that link to another site."""
    for attribute in _IMAGE_SOURCES:
        value = str(img.get(attribute) or "").strip()
        if value and not value.startswith("data:"):
            url = urljoin(base_url, value)
            if _ICON.search(urlsplit(url).path) or _links_elsewhere(img, base_url):
                return None
            return url
    return None


def _links_elsewhere(img: HtmlElement, base_url: str) -> bool:
    for parent in img.iterancestors("a"):
        href = str(parent.get("href") or "")
        host = urlsplit(urljoin(base_url, href)).hostname or ""
        return bool(host) and host.removeprefix("www.") != _page_host(base_url)
    return False


@lru_cache(maxsize=64)
def _page_host(base_url: str) -> str:
    """The page's host without ``www.`` (asked once per linked picture of the page)."""
    return (urlsplit(base_url).hostname or "").removeprefix("www.")


def prune(
    body: HtmlElement, selectors: tuple[str, ...], index: SelectorIndex | None = None
) -> list[tuple[str, HtmlElement]]:
    """Remove every element matching any of ``selectors`` from inside ``body`` (found
    through the page's ``index`` when given).

    Returns ``(selector, element)`` for each removed element that held text (for the
    explanation of what was pruned and why)."""
    removed: list[tuple[str, HtmlElement]] = []
    for selector in selectors:
        found = index.select(selector, within=body) if index else compiled(selector)(body)
        for element in found:
            if element is body or element.getparent() is None:
                continue
            if has_text(element):
                removed.append((selector, element))
            remove(element)
    return removed


CAPTION_TABLE_ROWS = 3
"""A table of at most this many rows holding one picture is a captioned picture."""


def _caption_cells(body: HtmlElement, seen: set[HtmlElement]) -> list[HtmlElement]:
    """Text cells of caption tables: a small table holding exactly one picture, whose other
    cells' text is caption-sized (the old CMS editors' way of captioning a picture)."""
    cells: list[HtmlElement] = []
    for table in body.iter("table"):
        if len(table.findall(".//img")) != 1 or len(table.findall(".//tr")) > CAPTION_TABLE_ROWS:
            continue
        texts = [
            cell
            for cell in table.iter("td", "th")
            if cell.find(".//img") is None and text_of(cell) and cell not in seen
        ]
        small = texts and sum(len(text_of(c)) for c in texts) <= CAPTION_MAX_CHARS
        if small and not any(a in seen for c in texts for a in c.iterancestors()):
            cells.extend(texts)
    return cells


def read_lines(element: HtmlElement, base_url: str) -> list[Block]:
    """The text blocks of ``element`` as :func:`read_body` cuts them (a picture still ends a
    block), without reading pictures or captions: the lines of a pruned box."""
    pictures = {img: 0 for img in element.iter("img") if image_url(img, base_url)}
    walker = _Walker(pictures)
    walker.element_stack = [element]
    walker.add(element.text)
    for child in element:
        walker.walk(child)
    walker.flush()
    return [b for b in walker.blocks if b.kind != "image"]


def read_body(
    body: HtmlElement,
    caption_selectors: tuple[str, ...],
    base_url: str,
    generic_captions: tuple[str, ...] = (),
) -> BodyContent:
    """Blocks, pictures and captions of an already pruned body element.

    ``caption_selectors`` are the template's own (trusted whatever their length);
    ``generic_captions`` markup common to many CMSes, trusted only for caption-sized text."""
    order = {element: index for index, element in enumerate(body.iter())}
    # Each picture's URL read once: removing captions below cannot change it (a caption
    # element holds no picture; a caption paragraph removed with a picture in it only takes
    # ancestors away, and with fewer ancestors a link that pointed here still does, or none).
    urls = {img: image_url(img, base_url) for img in body.iter("img")}
    pictures = [img for img, url in urls.items() if url]
    captions: list[tuple[int, str, HtmlElement]] = []
    seen: set[HtmlElement] = set()
    trusted = len(caption_selectors)
    for number, selector in enumerate((*caption_selectors, *generic_captions)):
        limit = None if number < trusted else CAPTION_MAX_CHARS
        for element in compiled(selector)(body):
            inside_another = any(a in seen for a in element.iterancestors())
            holds_picture = element.find(".//img") is not None  # a figure, not its caption
            if element in seen or element is body or inside_another or holds_picture:
                continue
            seen.add(element)
            text = text_of(element)
            if text and (limit is None or len(text) <= limit):
                captions.append((order.get(element, 0), text, element))
    if generic_captions:
        for element in _caption_cells(body, seen):
            seen.add(element)
            captions.append((order.get(element, 0), text_of(element), element))
    captions.sort(key=lambda item: item[0])

    caption_of: dict[int, str] = {}
    for position, text, _ in captions:
        # The caption belongs to the nearest picture before it that has none yet.
        for index in range(len(pictures) - 1, -1, -1):
            if order.get(pictures[index], 0) < position and index not in caption_of:
                caption_of[index] = text
                break

    for _, text, element in captions:
        parent = element.getparent()
        # A centred "<p><em>caption</em></p>": the paragraph is the caption.
        if (
            parent is not None
            and parent is not body
            and parent.tag == "p"
            and (text_of(parent) == text)
        ):
            remove(parent)
        else:
            remove(element)

    content = BodyContent(captions=[text for _, text, _ in captions])
    index_of: dict[HtmlElement, int] = {}
    for number, img in enumerate(pictures):
        src = urls[img]
        assert src is not None
        index_of[img] = len(content.images)
        content.images.append({"url": src, "caption": caption_of.get(number)})

    walker = _Walker(index_of)
    walker.element_stack = [body]
    walker.add(body.text)
    for child in body:
        walker.walk(child)
    walker.flush()
    content.blocks = walker.blocks
    return content
