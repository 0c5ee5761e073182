"""``extract`` never lets an exception escape, whatever a page turns into (hypothesis).

Real pages (``../shared/real-pages``, the project's real-page fixtures when present, and the
generated fixtures) are mutated the way broken servers, truncated transfers and hostile sites
mangle them: cut anywhere, bytes flipped, markup deleted or duplicated, tags left open,
encodings lied about, NUL bytes and control characters, absurd dates, giant attributes. The
only outcomes allowed are an :class:`~crawler.items.Article` or :class:`PageParseError`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extraction import PageParseError, extract
from crawler.items import Article

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "real-pages"

URLS = (
    "https://baocantho.com.vn/tin-a196670.html",
    "https://baohatinh.vn/bai-viet-post123.html",
    "https://baonghean.vn/bai-viet-12345678.html",
    "https://baoquangtri.vn/bai-viet-12345.htm",
    "https://plo.vn/bai-viet-post874715.html",
    "https://example.org/news/2025/10/some-story",
)

SNIPPETS = (
    b"<h1>", b"</div>", b"<script>", b"<!--", b"<![CDATA[", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
    b'<meta charset="gb2312">', b'<meta charset="iso-8859-1">', b"<base href='javascript:x'>",
    b'<script type="application/ld+json">{"datePublished": "9999-12-31T23:59:59-05:00",',
    b'{"@graph": [[[[[[[[[[', b'<meta property="article:published_time" content="0000-00-00">',
    b"<a href='" + b"x" * 5000 + b"'>", b"&#xD800;", b"\xe1\xba", b"<table><tr><td><table>",
)  # fmt: skip


@cache
def pages() -> tuple[bytes, ...]:
    """Real and generated pages as bytes (gzipped fixtures unpacked)."""
    paths = sorted(SHARED.glob("*/*.html"))
    for folder in ("tests/fixtures/real", "tests/fixtures/pages"):
        paths += sorted((ROOT / folder).glob("**/*.html*"))
    found: list[bytes] = []
    for path in paths:
        data = path.read_bytes()
        found.append(gzip.decompress(data) if path.suffix == ".gz" else data)
    assert found, "no pages to fuzz"
    return tuple(found)


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A page with a few random mutations."""
    page = bytearray(draw(st.sampled_from(pages())))
    for _ in range(draw(st.integers(1, 6))):
        size = len(page)
        at = draw(st.integers(0, max(0, size - 1)))
        action = draw(st.sampled_from(("cut", "flip", "delete", "insert", "duplicate", "empty")))
        if action == "cut":
            del page[at:]
        elif action == "flip" and size:
            page[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del page[at : at + draw(st.integers(1, 4000))]
        elif action == "insert":
            page[at:at] = draw(st.sampled_from(SNIPPETS))
        elif action == "duplicate":
            page[at:at] = page[at : at + draw(st.integers(1, 2000))]
        elif action == "empty" and draw(st.booleans()):
            page = bytearray()
    return bytes(page)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(page=mangled(), url=st.sampled_from(URLS))
def test_extract_survives_mangled_real_pages(page: bytes, url: str) -> None:
    try:
        article = extract(page, url)
    except PageParseError:
        return
    assert isinstance(article, Article)
    for value in (article.title, article.body, article.sapo):
        assert value is None or isinstance(value, str)
    if article.published_at is not None:
        assert article.published_at[:4].isdigit()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=st.text(max_size=3000), url=st.sampled_from(URLS))
def test_extract_survives_arbitrary_text(text: str, url: str) -> None:
    with contextlib.suppress(PageParseError):
        extract(text, url)
