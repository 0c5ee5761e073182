"""NFC in pieces is NFC, and the parser's UTF-8 shortcut parses exactly the page's text.

Both are speed-ups with a correctness argument (see ``crawler.extraction.text.nfc`` and
``crawler.extraction.dom._utf8_of``); these tests try to break that argument with the
characters it depends on: combining marks on both sides of a piece boundary, "<" followed
by U+0338 (which composes into U+226E), Hangul jamo, invalid and replaced bytes, BOMs.
"""

from __future__ import annotations

import random
import unicodedata
from typing import TYPE_CHECKING

import pytest

from crawler.extraction import dom
from crawler.extraction.charset import decode_html
from crawler.extraction.text import NFC_PIECE, nfc, nfc_in_pieces

if TYPE_CHECKING:
    import lxml.etree

# Characters around which NFC composes, reorders or splits: Vietnamese letters composed and
# decomposed, combining marks of several classes, the piece starts, "<" + U+0338, Hangul
# leading/vowel/trailing jamo, a singleton (U+212B ANGSTROM SIGN) and plain ASCII.
ALPHABET = [
    *"aeoAEOuy <>\n<\n",
    *("\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"),
    *("\u0338", "\u0338", "\u0327", "\u0345", "\u05b0"),
    *("\u1100", "\u1161", "\u11a8", "\uac00"),
    *("\u212b", "ệ", "ữ", "Đ", "ơ"),
]


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


@pytest.mark.parametrize("seed", range(300))
def test_nfc_in_pieces_equals_nfc_of_the_whole(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.randint(0, 600))
    size = rng.randint(1, 40)  # small pieces: many boundaries, each next to something
    assert nfc_in_pieces(text, size) == unicodedata.normalize("NFC", text)


def test_a_long_page_with_one_decomposed_letter_is_normalised_everywhere() -> None:
    row = "<p class='x'>Hà Tĩnh đẩy mạnh chuyển đổi số</p>\n"
    page = row * (4 * NFC_PIECE // len(row))
    broken = page[: len(page) // 2] + unicodedata.normalize("NFD", "Tĩnh") + page[len(page) // 2 :]
    assert len(broken) > 2 * NFC_PIECE  # the pieces path is the one taken
    assert nfc(broken) == unicodedata.normalize("NFC", broken)
    assert nfc(broken) != broken


def test_long_text_already_nfc_is_returned_itself() -> None:
    page = "<p>Hà Tĩnh</p>\n" * NFC_PIECE
    assert nfc(page) is page  # the parser's shortcut relies on this identity


def test_a_combining_mark_right_after_a_piece_start_stays_with_it() -> None:
    # "<" + U+0338 is U+226E; "\n" + U+0301 composes with nothing.
    text = ("a" * (NFC_PIECE + 1) + "<\u0338" + "b" * NFC_PIECE + "\n\u0301e\u0301") * 3
    assert nfc(text) == unicodedata.normalize("NFC", text)
    assert "\u226e" in nfc(text)


PAGE = (
    "<html><head><meta charset='utf-8'><title>Hà Tĩnh</title></head><body><p>{}</p></body></html>"
)


def parsed_text(root: lxml.etree._Element) -> str:
    return "".join(root.itertext())


@pytest.mark.parametrize(
    "body",
    [
        PAGE.format("Hà Tĩnh đẩy mạnh chuyển đổi số").encode("utf-8"),  # the shortcut
        PAGE.format(unicodedata.normalize("NFD", "Hà Tĩnh đẩy mạnh")).encode("utf-8"),
        PAGE.format("cut \xff\xfe here").encode("utf-8").replace(b"\xc3\xbf", b"\xff"),
        PAGE.format("a real \ufffd in the text").encode("utf-8"),
        b"\xef\xbb\xbf" + PAGE.format("after a BOM").encode("utf-8"),
        PAGE.format("Hà Tĩnh").encode("utf-8").replace(b"utf-8", b"iso-8859-1"),
        PAGE.format("Hà Tĩnh").encode("cp1258", "ignore").replace(b"utf-8", b"windows-1258"),
    ],
)
def test_the_parser_reads_the_nfc_text_whichever_bytes_it_is_given(body: bytes) -> None:
    """Whether or not the shortcut hands the parser the page's own bytes, the tree holds
    exactly the NFC of the decoded text."""
    decoded = decode_html(body)
    text = nfc(decoded.text)
    expected = dom.lxml.html.document_fromstring(text.encode("utf-8"), parser=dom._parser())
    root, _ = dom.parse_document(body)
    assert parsed_text(root) == parsed_text(expected)
    assert parsed_text(root) == unicodedata.normalize("NFC", parsed_text(root))


def test_the_shortcut_is_taken_only_for_plain_utf8_nfc_bytes() -> None:
    plain = PAGE.format("Hà Tĩnh").encode("utf-8")
    decoded = decode_html(plain)
    assert dom._utf8_of(plain, decoded, nfc(decoded.text)) is plain
    for other in (
        PAGE.format(unicodedata.normalize("NFD", "Hà Tĩnh")).encode("utf-8"),
        b"\xef\xbb\xbf" + plain,
        plain + b"\xff",
    ):
        decoded = decode_html(other)
        assert dom._utf8_of(other, decoded, nfc(decoded.text)) is not other
