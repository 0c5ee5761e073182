"""Author credits: recognising a byline paragraph and turning it into names.

"Bài, ảnh: TRƯỜNG SƠN" gives ["Trường Sơn"], "Tin, ảnh: P.Y" gives ["P.Y"], "Q.H" stays.
"""

from __future__ import annotations

import re

from crawler.extraction.text import fold

_ROLE = (
    r"(?:bài|tin|ảnh|video|clip|đồ\s*họa|thiết\s*kế|thực\s*hiện"
    r"|nhóm\s*pv|pv|ctv|nhóm\s*phóng\s*viên)"
)
# "Bài, ảnh:", "Bài và ảnh:", "Tin - ảnh:", "Ảnh:", "Thực hiện:" ...
_CREDIT_PREFIX = re.compile(
    rf"^\s*{_ROLE}(?:\s*(?:,|và|-|–|\+|/|&)\s*{_ROLE})*\s*[:.]\s*", re.IGNORECASE
)
_SEPARATORS = re.compile(r"\s*(?:,|;|\s-\s|\s–\s|\svà\s|&|/)\s*")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ỸĐ][\w']*\.?|(?:[A-ZĐ]\.)+[A-ZĐ]?\.?|[A-ZĐ]{1,3})$")
_SOURCE = re.compile(r"^\s*\(?\s*(?:theo|nguồn)\b", re.IGNORECASE)
# A person named with a title ("Bà Trần Thị Lệ", "PGS.TS Nguyễn An") is someone the story
# quotes, never the credit line: bylines print bare names. ("Anh", "Em", "Cô" are left out:
# they are given names too, "Anh Dũng".)
_HONORIFIC = re.compile(
    r"^(?:ông|bà|chị|cụ|thầy|đồng\s+chí|gs|pgs|ts|ths|bs|ls|nsnd|nsưt|"
    r"mr|mrs|ms|dr)\b\.?",
    re.IGNORECASE,
)
# "Hà Thu (tổng hợp)", "Minh Anh (theo Reuters)": a note on how the piece was made.
_NOTE = re.compile(r"\s*\([^()]{1,40}\)\s*$")
# "Theo Hồ Hương", "Nguồn: X", "By Jane Doe": the credit word before a name.
_LEADING_CREDIT = re.compile(r"^\s*(?:theo|nguồn|by|bởi|tác\s+giả)\b\s*:?\s*", re.IGNORECASE)


_VOWELS = frozenset("aăâeêioôơuưyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def _title_case(word: str) -> str:
    # An all-capitals word of two letters or more is a shouted name; initials keep their dots,
    # and a word without a vowel ("TP", "NQ") is initials too: every Vietnamese syllable has one.
    if "." in word or len(word) < 2 or not word.isupper():
        return word
    if not any(ch in _VOWELS for ch in word.lower()):
        return word
    return word.capitalize()


def _clean_name(name: str) -> str:
    words = [w for w in name.strip(" .-–:()").split() if w]
    return " ".join(_title_case(w) for w in words)


def has_credit_prefix(text: str) -> bool:
    """Whether a line opens with a credit such as "Bài, ảnh:" or "Tin:"."""
    return bool(_CREDIT_PREFIX.match(text))


def looks_like_byline(text: str) -> bool:
    """Whether a short paragraph is an author credit rather than article text."""
    line = _NOTE.sub("", fold(text))
    if not line or len(line) > 80 or any(ch.isdigit() for ch in line):
        return False
    if _SOURCE.match(line) or _HONORIFIC.match(line):
        return False
    if has_credit_prefix(line):
        return True
    sentence = line.endswith(("!", "?", ":", ";", "…")) or (
        line.endswith(".") and " " in line.rstrip(".")
    )
    # A sentence, unless the only dots are initials ("Q.H.", "P.Y").
    if sentence and not re.fullmatch(r"(?:[A-ZĐ]\.)+[A-ZĐ]?\.?", line):
        return False
    names = [n for n in _SEPARATORS.split(line) if n]
    if not names or len(names) > 4:
        return False
    for name in names:
        words = name.strip(" .").split()
        if not 1 <= len(words) <= 5:
            return False
        if not all(_NAME_WORD.match(word) for word in words):
            return False
    return True


def parse_byline(text: str) -> list[str]:
    """Author names in a credit line, role prefixes removed and capitals tamed."""
    line = _NOTE.sub("", fold(text))
    line = _LEADING_CREDIT.sub("", _CREDIT_PREFIX.sub("", line))
    names = [_clean_name(part) for part in _SEPARATORS.split(line)]
    return [n for n in names if n]


def split_authors(text: str) -> list[str]:
    """Author names from an author element or metadata value ("A, B" or "A - B")."""
    return parse_byline(text)
