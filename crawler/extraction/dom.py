"""Parsing pages and selecting elements: one parse per page, compiled selectors cached."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import cssselect
import lxml.html
from cssselect.parser import Class, CombinedSelector, Hash
from lxml.cssselect import CSSSelector

from crawler.extraction.charset import Decoded, decode_html
from crawler.extraction.text import fold, has_ink, nfc

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
    if not text or text.isspace():  # not text.strip(): no copy of the page
        raise PageParseError("empty document")
    try:
        root = lxml.html.document_fromstring(_utf8_of(html, decoded, text), parser=_parser())
    except (ValueError, lxml.etree.ParserError) as exc:
        raise PageParseError(f"not parseable as HTML: {exc}") from exc
    if root is None or len(root) == 0:
        raise PageParseError("no elements in document")
    return root, decoded


def _utf8_of(html: str | bytes, decoded: Decoded, text: str) -> bytes:
    """``text`` as UTF-8 for the parser: the page's own bytes when they are exactly that
    (UTF-8 without a byte-order mark, decoded without a replaced byte, already NFC), which
    spares re-encoding the whole page."""
    if (
        isinstance(html, bytes)
        and decoded.encoding == "utf-8"
        and decoded.source != "bom"
        # nfc() returns its argument itself when the text is already NFC; a U+FFFD may stand
        # for an invalid byte the decoder replaced, so the bytes would differ.
        and text is decoded.text
        and "\ufffd" not in text
    ):
        return html
    return text.encode("utf-8")


@cache
def _parser() -> lxml.html.HTMLParser:
    # collect_ids=False: no hash table of the ids (XPath's id() is never used; "#x" in a CSS
    # selector compares the attribute).
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False
    )
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


@cache
def leading_key(selector: str) -> tuple[str, str] | None:
    """``("id", name)`` or ``("class", name)``: an id or class the selector's first element
    must carry, when every match lies inside an element carrying it. That holds for one
    selector (no comma) joined only by descendant or child combinators (a sibling
    combinator reaches outside), its first compound naming an id or a class."""
    try:
        groups = cssselect.parse(selector)
    except cssselect.SelectorError:
        return None
    if len(groups) != 1 or groups[0].pseudo_element is not None:
        return None
    tree: Any = groups[0].parsed_tree
    while isinstance(tree, CombinedSelector):
        if tree.combinator not in (" ", ">"):
            return None
        tree = tree.selector
    found: tuple[str, str] | None = None
    while tree is not None:  # the first compound: a chain of simple selectors
        if isinstance(tree, Hash):
            return ("id", str(tree.id))  # the most selective
        if isinstance(tree, Class) and found is None:
            found = ("class", str(tree.class_name))
        tree = getattr(tree, "selector", None)  # not into :not()'s argument
    return found


_CLASS_VALUES = lxml.etree.XPath("//@class", smart_strings=False)
_ID_VALUES = lxml.etree.XPath("//@id", smart_strings=False)

HOLDERS_MAX = 4
"""Above this many elements with the class, one pass over the page is cheaper than a search
inside each of them."""


class SelectorIndex:
    """A page's elements by id and class name, read once, so that a selector whose first
    compound names an id or a class is evaluated only inside the outermost elements carrying
    it instead of over the whole document (libxml2 spends about as long testing one class
    on every element of a page as Python takes to index them all, and a template tries ten
    selectors or more, most naming an id or class the page does not have).

    Results are those of ``compiled(selector)(root)``, in document order: every match of
    such a selector lies inside an element with the id or class, the outermost of those
    hold disjoint subtrees in document order, and each is searched with the selector
    itself. Elements removed from the tree since the index was built are skipped; elements
    must not be added, re-classed or renamed (extraction only removes).

    ``eager=False`` defers the index until a selector names an id or class the page has:
    only the page's attribute values are read before (much cheaper than the index), which
    is all a page of an unknown outlet needs when no CMS signature is on it."""

    def __init__(self, root: HtmlElement, *, eager: bool = True) -> None:
        self.root = root
        self._holders: dict[str, dict[str, list[HtmlElement]]] | None = None
        self._present: dict[str, set[str]] | None = None
        if eager:
            self._build()

    def _has(self, kind: str, name: str) -> bool:
        """Whether an element of the page (as it was first read) carries the id or class
        (asked before the index is built)."""
        if self._present is None:
            classes = set(" ".join(_CLASS_VALUES(self.root)).split())
            self._present = {"class": classes, "id": {str(v) for v in _ID_VALUES(self.root)}}
        return name in self._present[kind]

    def _build(self) -> dict[str, dict[str, list[HtmlElement]]]:
        root = self.root
        by_class: dict[str, list[HtmlElement]] = {}
        by_id: dict[str, list[HtmlElement]] = {}
        for element in root.iter(lxml.etree.Element):
            names = element.get("class")
            if names:
                # str.split() splits on more than XML white space: an element may be listed
                # under a name it does not carry as a class. Harmless: the selector itself
                # is run inside each holder and only keeps true matches.
                for name in names.split():
                    holders = by_class.setdefault(name, [])
                    if not holders or holders[-1] is not element:
                        holders.append(element)
            identifier = element.get("id")
            if identifier:
                by_id.setdefault(identifier, []).append(element)
        self._holders = {"class": by_class, "id": by_id}
        return self._holders

    def select(self, selector: str, within: HtmlElement | None = None) -> list[HtmlElement]:
        """``compiled(selector)(root)``, faster; with ``within`` (an element of the page),
        ``compiled(selector)(within)``: the selector's first element is ``within`` or
        inside it."""
        context = self.root if within is None else within
        key = leading_key(selector)
        if key is None:
            return list(compiled(selector)(context))
        if self._holders is None and not self._has(*key):
            return []  # nothing carries it: no index needed
        index = self._holders if self._holders is not None else self._build()
        holders = index[key[0]].get(key[1])
        if not holders:
            return []
        if len(holders) > HOLDERS_MAX:
            return list(compiled(selector)(context))
        holding = set(holders)
        found: list[HtmlElement] = []
        for holder in holders:
            ancestors = list(holder.iterancestors())
            if any(a in holding for a in ancestors):
                continue  # searched with its outermost holder
            if within is None:
                if (ancestors[-1] if ancestors else holder) is not self.root:
                    continue  # removed from the page
            elif holder is not within and not any(a is within for a in ancestors):
                continue  # outside ``within`` (or removed from it)
            found.extend(compiled(selector)(holder))
        return found


def _select(root: HtmlElement | SelectorIndex, selector: str) -> list[HtmlElement]:
    if isinstance(root, SelectorIndex):
        return root.select(selector)
    return list(compiled(selector)(root))


def select_all(root: HtmlElement | SelectorIndex, selectors: tuple[str, ...]) -> list[HtmlElement]:
    """Matches of the first selector that matches anything (in ``root``, or in the page a
    :class:`SelectorIndex` indexes)."""
    for selector in selectors:
        found = _select(root, selector)
        if found:
            return found
    return []


def select_first(
    root: HtmlElement | SelectorIndex, selectors: tuple[str, ...]
) -> HtmlElement | None:
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
    return any(has_ink(piece) for piece in element.itertext())


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
