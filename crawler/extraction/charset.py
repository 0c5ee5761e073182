"""Decoding a page's bytes the way browsers do, with one correction browsers don't make.

Order of authority (the WHATWG encoding sniffing algorithm, as Scrapy and w3lib follow it):

1. a byte-order mark;
2. the ``charset`` of the HTTP ``Content-Type`` header (live: Scrapy's response headers;
   re-extraction: the headers archived with the WARC record);
3. ``<meta charset>`` / ``<meta http-equiv="Content-Type">`` in the first bytes;
4. nothing declared: UTF-8 when the bytes are valid UTF-8, else windows-1258 (the Vietnamese
   Windows code page: what a browser with a Vietnamese locale falls back to).

The correction: bytes that hold non-ASCII text and are valid UTF-8 are decoded as UTF-8 even
when a header or ``<meta>`` declares another charset. A CMS template or web server that
declares ``iso-8859-1`` (a common server default) or ``GB2312`` (a copied template) over
UTF-8 content is a frequent fault, while text really written in a legacy charset is almost
never valid UTF-8 by accident: Vietnamese in windows-1258 puts a lead byte such as ``0xE0``
before ASCII letters, which UTF-8 forbids.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

FALLBACK_ENCODING = "cp1258"
"""Used when nothing is declared and the bytes are not valid UTF-8."""

_UTF8_NAMES = frozenset({"utf-8", "utf_8"})
_WIDE = frozenset({"utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"})


@dataclass(frozen=True)
class Decoded:
    """A page's text and how its encoding was chosen."""

    text: str
    """The decoded document (not yet NFC-normalised)."""

    encoding: str
    """Python codec name used, e.g. ``"utf-8"`` or ``"cp1258"``."""

    source: str
    """Why: ``"bom"``, ``"http"``, ``"meta"``, ``"utf-8 bytes over <declared> (http|meta)"``,
    ``"undeclared"`` or ``"text"`` (the input was already text)."""


def is_valid_utf8(body: bytes) -> bool:
    """Whether ``body`` decodes as UTF-8 (a sequence cut by truncation at the very end is
    forgiven: archived pages are sometimes cut at the size limit)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(body) - 3 and exc.reason == "unexpected end of data"
    return True


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)
    if resolved is None:
        return None
    return codecs.lookup(resolved).name


def decode_html(body: bytes | str, content_type: str | None = None) -> Decoded:
    """Decode a page (see the module docstring); text input is returned as it is."""
    if isinstance(body, str):
        return Decoded(body, "utf-8", "text")
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return Decoded(to_unicode(body[len(bom) :], bom_encoding), bom_encoding, "bom")
    declared = _codec(http_content_type_encoding(content_type))
    where = "http"
    if declared is None:
        declared = _codec(html_body_declared_encoding(body))
        where = "meta"
    if declared is None:
        if is_valid_utf8(body):
            return Decoded(to_unicode(body, "utf-8"), "utf-8", "undeclared")
        return Decoded(to_unicode(body, FALLBACK_ENCODING), FALLBACK_ENCODING, "undeclared")
    contradicted = declared not in _UTF8_NAMES and declared not in _WIDE
    if contradicted and not body.isascii() and is_valid_utf8(body):
        return Decoded(to_unicode(body, "utf-8"), "utf-8", f"utf-8 bytes over {declared} ({where})")
    return Decoded(to_unicode(body, declared), declared, where)
