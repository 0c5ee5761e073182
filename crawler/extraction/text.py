"""Text normalisation shared by every extraction path: NFC and whitespace folding."""

from __future__ import annotations

import html
import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u200b\u200c\u200d\ufeff]+")
# Zero-width characters str.split() does not treat as white space.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff]")


NFC_PIECE = 4096
"""Text longer than twice this is normalised in pieces of about this size (see :func:`nfc`)."""

# Pieces start at one of these: each is a starter (combining class 0) that no character
# before it composes with and that is never changed by NFC, so NFC of the whole is NFC of
# the pieces put together. ("<" does compose with a FOLLOWING U+0338 into U+226E, which is
# why a piece starts at it, never ends at it.)
_PIECE_STARTS = ("<", "\n")


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (Vietnamese pages mix composed and combining diacritics)."""
    if len(text) <= 2 * NFC_PIECE:
        return unicodedata.normalize("NFC", text)
    return nfc_in_pieces(text, NFC_PIECE)


def nfc_in_pieces(text: str, size: int) -> str:
    """:func:`nfc` of a long text, normalised piece by piece (pieces of about ``size``).

    Why: CPython's normalize() returns already-NFC text after a fast check, but one
    character that check cannot settle (any combining mark: a page with a single
    decomposed Vietnamese letter) makes it rebuild the whole text, which costs 20-30 times
    the check on a 500 kB page. In pieces, only the pieces holding such a character are."""
    pieces: list[str] = []
    changed = False
    start, end = 0, len(text)
    while start < end:
        cut = -1
        for mark in _PIECE_STARTS:
            cut = text.find(mark, start + size)
            if cut >= 0:
                break
        stop = end if cut < 0 else cut
        piece = text[start:stop]
        normal = unicodedata.normalize("NFC", piece)
        changed = changed or normal is not piece
        pieces.append(normal)
        start = stop
    return "".join(pieces) if changed else text


def fold(text: str) -> str:
    """NFC with runs of white space (non-breaking and zero-width included) folded to one."""
    # str.split() (no argument) splits on every Unicode space, the non-breaking one included;
    # it is several times faster than the equivalent regular expression.
    # ASCII text is already NFC and holds no zero-width character: most pieces of a page's
    # markup (class names, numbers, links) skip both checks.
    if not text.isascii():
        text = nfc(text)
        if _ZERO_WIDTH.search(text) is not None:
            text = _ZERO_WIDTH.sub(" ", text)
    return " ".join(text.split())


_INK = re.compile(r"[^\s\u200b\u200c\u200d\ufeff]")
"""A character :func:`fold` keeps (not white space, not zero-width)."""


def has_ink(text: str) -> bool:
    """Whether :func:`fold` of ``text`` would not be empty (without folding it)."""
    return _INK.search(text) is not None


def unescape(text: str) -> str:
    """HTML character references decoded: JSON-LD written by templates often holds
    "NH&#7852;T" where it means "NHẬT"."""
    return html.unescape(text) if "&" in text else text


def fold_or_none(text: str | None) -> str | None:
    """:func:`fold`, or None when nothing but white space remains."""
    if text is None:
        return None
    folded = fold(text)
    return folded or None


def strip_suffix_site_name(title: str, site_names: tuple[str, ...]) -> str:
    """A ``<title>`` without the outlet name after a separator ("Headline - Báo Hà Tĩnh")."""
    for name in site_names:
        for sep in (" - ", " | ", " – ", " :: "):
            suffix = f"{sep}{name}"
            if name and title.lower().endswith(suffix.lower()):
                return title[: -len(suffix)].strip()
    return title
