"""Text normalisation, hashes and word shingles used by deduplication.

* :func:`normalize` — Unicode NFC, every run of white space (newlines, non-breaking and
  zero-width spaces included) folded to one space, stripped. Two bodies are *exact duplicates*
  when their normalised forms are equal; :func:`body_hash` is the SHA-256 of that form.
* :func:`content_hash` — the hash deciding whether a refetched article *changed*: title, sapo and
  body, each normalised. Metadata (tags, images, authors) does not make a new version.
* :func:`shingles` — the set of ``k``-word shingles of the NFC, lower-cased text, words being
  runs of Unicode word characters (Vietnamese syllables). ``k = 3`` was chosen by measurement
  (see :mod:`crawler.dedup.minhash`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_TO_SPACE = dict.fromkeys(map(ord, _ZERO_WIDTH), " ")
_NON_WORD = re.compile(r"[^\w\s]+")

SHINGLE_SIZE = 3
"""Words per shingle."""


def nfc(text: str) -> str:
    """``text`` in Unicode NFC."""
    return unicodedata.normalize("NFC", text)


def _is_folded(text: str, forbidden: str) -> bool:
    """Whether ``text`` (not empty) is already what folding gives, checked without splitting.

    True when it is NFC, has no zero-width character, no white space but single spaces
    between non-spaces and single newlines between non-empty lines, and no ``forbidden``
    substring ("\\n" for :func:`normalize`, which allows no newline at all). Folding such a
    text returns it unchanged, so callers return it as is: a text normalised once (by the
    normalize pipeline, then again by the repository) costs a few C-level scans instead of a
    split and join per line.
    """
    return not (
        forbidden in text
        or text[0].isspace()
        or text[-1].isspace()
        or "  " in text
        or "\n\n" in text
        or " \n" in text
        or "\n " in text
        # Every white space but " " and every zero-width character is unprintable (categories
        # Zs, Zl, Zp, Cc, Cf); other unprintable text merely takes the slow path.
        or not text.replace("\n", " ").isprintable()
        or not unicodedata.is_normalized("NFC", text)
    )


def normalize(text: str | None) -> str:
    """NFC with white space folded to single spaces and stripped; ``""`` for None."""
    if not text:
        return ""
    if _is_folded(text, "\n"):
        return text
    text = nfc(text)
    if not text.isascii() and any(ch in text for ch in _ZERO_WIDTH):
        text = text.translate(_ZERO_WIDTH_TO_SPACE)
    # str.split() splits on every Unicode white space, non-breaking spaces included.
    return " ".join(text.split())


def normalize_or_none(text: str | None) -> str | None:
    """:func:`normalize`, or None when nothing remains."""
    folded = normalize(text)
    return folded or None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_lines(text: str | None) -> str | None:
    """NFC text with white space folded inside each line and empty lines dropped, or None.

    Bodies keep their paragraphs ("\\n"-separated) in storage; hashes use :func:`normalize`.
    """
    if not text:
        return None
    if _is_folded(text, "  "):
        return text
    text = nfc(text)
    if not text.isascii() and any(ch in text for ch in _ZERO_WIDTH):
        text = text.translate(_ZERO_WIDTH_TO_SPACE)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line) or None


def body_hash(body: str | None) -> str | None:
    """SHA-256 (hex) of the normalised body, or None when the body is empty."""
    folded = normalize(body)
    return _sha256(folded) if folded else None


def content_hash(title: str | None, sapo: str | None, body: str | None) -> str:
    """SHA-256 (hex) of the normalised title, sapo and body; equal hashes mean unchanged text."""
    return _sha256("\x1f".join(normalize(part) for part in (title, sapo, body)))


def hashes_of_normalized(
    title: str | None, sapo: str | None, body: str | None
) -> tuple[str, str | None]:
    """``(content_hash, body_hash)`` of texts already normalised (:func:`normalize` for title
    and sapo, :func:`normalize_lines` for the body) — same values, one pass instead of four."""
    folded = body.replace("\n", " ") if body else ""
    content = _sha256("\x1f".join((title or "", sapo or "", folded)))
    return content, (_sha256(folded) if folded else None)


def words(text: str) -> list[str]:
    """The words of the NFC, lower-cased ``text`` (runs of word characters).

    Punctuation becomes a separator; ``sub`` + ``split`` is twice as fast as ``findall``.
    """
    return _NON_WORD.sub(" ", nfc(text).lower()).split()


def shingles(parts: Iterable[str | None], k: int = SHINGLE_SIZE) -> set[bytes]:
    """The distinct ``k``-word shingles (UTF-8 bytes) of the given texts taken as one text.

    Texts shorter than ``k`` words give one shingle of all their words (or none when empty).
    """
    tokens: list[str] = []
    for part in parts:
        if part:
            tokens.extend(words(part))
    if not tokens:
        return set()
    if len(tokens) < k:
        return {" ".join(tokens).encode("utf-8")}
    if k == 3:  # the common case, without slicing per position
        grams = {f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)}
    else:
        grams = {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}
    return {g.encode("utf-8") for g in grams}
