"""Reading an article body element into text blocks, pictures and captions.

The body is walked once in document order. Block-level elements (paragraphs, headings, list
items, table rows, quotes) become :class:`Block` objects; inline markup is flattened; image
``alt``/``title`` text is never read (outlets repeat the headline there). Captions found by the
template's selectors are attached to the nearest preceding picture and taken out of the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from crawler.extraction.dom import compiled, remove, text_of
from crawler.extraction.text import fold

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.items import ArticleImage

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "center",
        "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "figure", "pre", "address", "table", "tbody", "thead", "tfoot",
        "caption", "hr", "nav",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset(
    {"img", "picture", "source", "video", "audio", "svg", "canvas", "object", "embed", "map",
     "input", "select", "textarea", "label", "template"}
)  # fmt: skip
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOLD_TAGS = frozenset({"strong", "b"})
_IMAGE_SOURCES = ("data-src", "data-original", "data-lazy-src", "src")


@dataclass
class Block:
    """One paragraph-like unit of body text."""

    text: str
    """The block's text, NFC, white space folded."""

    kind: str
    """"p", "h" (subheading), "li", "row" (table row), "quote" or "pre"."""

    bold_share: float = 0.0
    """Share of the text inside ``<strong>``/``<b>`` (1.0: a bold lead or subheading)."""

    link_share: float = 0.0
    """Share of the text inside links (high for lists of related articles)."""


@dataclass
class BodyContent:
    """What a body element holds once read."""

    blocks: list[Block] = field(default_factory=list)
    """Text blocks in document order."""

    images: list[ArticleImage] = field(default_factory=list)
    """Pictures with their captions, in document order."""

    captions: list[str] = field(default_factory=list)
    """Every caption text found (to keep them out of the text if repeated elsewhere)."""


@dataclass
class _Buffer:
    parts: list[str] = field(default_factory=list)
    bold_chars: int = 0
    link_chars: int = 0
    total_chars: int = 0

    def add(self, text: str | None, bold: bool, link: bool) -> None:
        if not text:
            return
        self.parts.append(text)
        size = len(text.strip())
        self.total_chars += size
        if bold:
            self.bold_chars += size
        if link:
            self.link_chars += size


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer = _Buffer()
        self.kind_stack: list[str] = ["p"]
        self.bold_depth = 0
        self.link_depth = 0

    def flush(self) -> None:
        text = fold("".join(self.buffer.parts))
        if text:
            total = max(self.buffer.total_chars, 1)
            self.blocks.append(
                Block(
                    text=text,
                    kind=self.kind_stack[-1],
                    bold_share=self.buffer.bold_chars / total,
                    link_share=self.buffer.link_chars / total,
                )
            )
        self.buffer = _Buffer()

    def add(self, text: str | None) -> None:
        self.buffer.add(text, self.bold_depth > 0, self.link_depth > 0)

    def walk(self, element: HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _SKIP_TAGS:
            self.add(element.tail)
            return
        if tag == "br":
            self.flush()
            self.add(element.tail)
            return
        if tag == "tr" and not _has_block_cells(element):
            self.flush()
            cells = [text_of(cell) for cell in element if cell.tag in ("td", "th")]
            cells = [c for c in cells if c]
            if cells:
                self.blocks.append(Block(text=" | ".join(cells), kind="row"))
            self.add(element.tail)
            return
        is_block = tag in _BLOCK_TAGS or tag in ("td", "th", "tr")
        if is_block:
            self.flush()
            self.kind_stack.append(_kind(tag, self.kind_stack[-1]))
        bold = tag in _BOLD_TAGS
        link = tag == "a"
        self.bold_depth += bold
        self.link_depth += link
        self.add(element.text)
        for child in element:
            self.walk(child)
        self.bold_depth -= bold
        self.link_depth -= link
        if is_block:
            self.flush()
            self.kind_stack.pop()
        self.add(element.tail)


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


def _image_url(img: HtmlElement, base_url: str) -> str | None:
    for attribute in _IMAGE_SOURCES:
        value = str(img.get(attribute) or "").strip()
        if value and not value.startswith("data:"):
            return urljoin(base_url, value)
    return None


def prune(body: HtmlElement, selectors: tuple[str, ...]) -> None:
    """Remove every element matching any of ``selectors`` from inside ``body``."""
    for selector in selectors:
        for element in compiled(selector)(body):
            if element is not body:
                remove(element)


def read_body(body: HtmlElement, caption_selectors: tuple[str, ...], base_url: str) -> BodyContent:
    """Blocks, pictures and captions of an already pruned body element."""
    order = {element: index for index, element in enumerate(body.iter())}
    images = [img for img in body.iter("img")]
    captions: list[tuple[int, str, HtmlElement]] = []
    seen: set[HtmlElement] = set()
    for selector in caption_selectors:
        for element in compiled(selector)(body):
            if element in seen or element is body:
                continue
            seen.add(element)
            text = text_of(element)
            if text:
                captions.append((order.get(element, 0), text, element))
    captions.sort(key=lambda item: item[0])

    caption_of: dict[int, str] = {}
    for position, text, _ in captions:
        # The caption belongs to the nearest picture before it that has none yet.
        for index in range(len(images) - 1, -1, -1):
            if order.get(images[index], 0) < position and index not in caption_of:
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
    for index, img in enumerate(images):
        src = _image_url(img, base_url)
        if src:
            content.images.append({"url": src, "caption": caption_of.get(index)})

    walker = _Walker()
    walker.add(body.text)
    for child in body:
        walker.walk(child)
    walker.flush()
    content.blocks = walker.blocks
    return content
