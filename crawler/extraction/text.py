"""Text normalisation shared by every extraction path: NFC and whitespace folding."""

from __future__ import annotations

import html
import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u200b\u200c\u200d\ufeff]+")
# Zero-width characters str.split() does not treat as white space.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff]")


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (Vietnamese pages mix composed and combining diacritics)."""
    return unicodedata.normalize("NFC", text)


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
