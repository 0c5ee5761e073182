"""Text normalisation shared by every extraction path: NFC and whitespace folding."""

from __future__ import annotations

import html
import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u200b\u200c\u200d\ufeff]+")


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (Vietnamese pages mix composed and combining diacritics)."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """NFC with runs of white space (non-breaking and zero-width included) folded to one."""
    return _SPACES.sub(" ", nfc(text)).strip()


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
