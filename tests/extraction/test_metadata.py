"""read_metadata reads the page's head sources in one pass: which one counts when a page
repeats them (first base, first title, first canonical; every meta value, in order; JSON-LD
wherever its script sits)."""

from __future__ import annotations

from crawler.extraction.dom import parse
from crawler.extraction.metadata import read_metadata

PAGE = """<html lang="vi"><head>
<title>Tiêu đề trang - Báo Hà Tĩnh</title>
<base>
<base href="/ignored/">
<link rel="alternate" href="/amp/a.html">
<link rel="Canonical" href=" /tin/a.html ">
<link rel="canonical" href="/second.html">
<meta property="og:title" content="Một">
<meta name="OG:TITLE" content="Hai">
<meta name="description">
<script>var x = 1;</script>
</head><body>
<svg><title>icon</title></svg>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Trong thân"}</script>
<script type="application/ld+json">{not json</script>
<meta itemprop="datePublished" content="2025-03-01T08:00:00+07:00">
</body></html>"""


def test_repeated_sources_resolve_as_the_first_or_all_in_order() -> None:
    meta = read_metadata(parse(PAGE), "https://baohatinh.vn/x/y.html")
    assert meta.title_tag == "Tiêu đề trang - Báo Hà Tĩnh"  # not the SVG's <title>
    assert meta.base_href is None  # the first <base> has no href: a later one does not count
    assert meta.canonical == "https://baohatinh.vn/tin/a.html"
    assert meta.meta["og:title"] == ["Một", "Hai"]
    assert "description" not in meta.meta  # no content attribute
    assert meta.meta["datepublished"] == ["2025-03-01T08:00:00+07:00"]
    assert meta.jsonld.get("headline") == "Trong thân"  # in the body, after a broken block
    assert meta.html_lang == "vi"
