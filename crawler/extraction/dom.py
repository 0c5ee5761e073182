"""Parsing pages and selecting elements: one parse per page, compiled selectors cached."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import lxml.html
from lxml.cssselect import CSSSelector

from crawler.extraction.charset import Decoded, decode_html
from crawler.extraction.text import fold, nfc

if TYPE_CHECKING:
    from lxml.html import HtmlElement


class PageParseError(ValueError):
    """The input is not an HTML page that can be parsed."""


def decode(html: str | bytes, content_type: str | None = None) -> str:
    """The page as NFC text; bytes are decoded as :mod:`crawler.extraction.charset` says."""
    return nfc(decode_html(html, content_type).text)


def parse(html: str | bytes, content_type: str | None = None) -> HtmlElement:
    """The document's root element; :class:`PageParseError` when there is no HTML in it."""
    return parse_document(html, content_type)[0]


def parse_document(
    html: str | bytes, content_type: str | None = None
) -> tuple[HtmlElement, Decoded]:
    """The root element and how the bytes were decoded (``content_type``: the HTTP header)."""
    decoded = decode_html(html, content_type)
    # Normalising the whole document once means every selector, comparison and stored
    # string downstream sees composed Vietnamese letters (windows-1258 text, for one, is
    # written with combining tone marks).
    text = nfc(decoded.text)
    if not text.strip():
        raise PageParseError("empty document")
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=_parser())
    except (ValueError, lxml.etree.ParserError) as exc:
        raise PageParseError(f"not parseable as HTML: {exc}") from exc
    if root is None or len(root) == 0:
        raise PageParseError("no elements in document")
    return root, decoded


@cache
def _parser() -> lxml.html.HTMLParser:
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    # Every element an HtmlElement, chosen in C: lxml.html's default lookup calls a Python
    # method each time an element is first touched from Python (about 7 % of an extraction
    # walking the tree several times); the form-specific element classes it would pick
    # instead are never used here.
    parser.set_element_class_lookup(
        lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


@cache
def compiled(selector: str) -> CSSSelector:
    """A CSS selector compiled once per process."""
    return CSSSelector(selector, translator="html")


def select_all(root: HtmlElement, selectors: tuple[str, ...]) -> list[HtmlElement]:
    """Matches of the first selector that matches anything."""
    for selector in selectors:
        found: list[HtmlElement] = compiled(selector)(root)
        if found:
            return found
    return []


def select_first(root: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement | None:
    """The first match of the first selector that matches anything."""
    found = select_all(root, selectors)
    return found[0] if found else None


def text_of(element: HtmlElement | None) -> str:
    """An element's text content, folded; "" for None."""
    if element is None:
        return ""
    return fold(element.text_content())


def has_text(element: HtmlElement) -> bool:
    """Whether :func:`text_of` the element would not be empty, read only up to the first
    piece of text that is not white space (a whole body is not joined and folded for it)."""
    return any(fold(piece) for piece in element.itertext())


def remove(element: HtmlElement) -> None:
    """Remove an element but keep its tail text in the document."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)
