"""Every registered outlet against its stored pages.

Fails when an outlet has no fixtures, when an expected field is empty, when any extracted
field differs from the reviewed expected JSON, or when the extraction disagrees with the
hand-written source record the page was built from.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.extraction import extract
from crawler.fakeoutlets.source import ArticleSource, load_source
from crawler.outlets import package_profiles

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.glob("*/*.html.gz"))
REQUIRED = ("url", "outlet", "title", "body", "authors", "published_at", "category", "slug")
BOILERPLATE = (
    "Đọc thêm",
    "Tin liên quan",
    "Tin cùng chuyên mục",
    "Tin mới",
    "Xem thêm",
    "Go top",
    "Thống kê truy cập",
    "Tổng lượt truy cập",
    "bình chọn",
    "Viết bình luận",
    "THÔNG TIN CẦN BIẾT",
    "Điểm tin sáng",
    "Sự kiện nổi bật",
)


def _case_id(page: Path) -> str:
    return f"{page.parent.name}/{page.name.removesuffix('.html.gz')}"


def _expected(page: Path) -> dict[str, Any]:
    path = page.with_name(page.name.removesuffix(".html.gz") + ".json")
    assert path.exists(), f"{path} missing: run scripts/update_fixtures.py and review the diff"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _source(page: Path) -> ArticleSource:
    return load_source(FIXTURES / "sources" / page.parent.name / f"{page.name[:-8]}.json")


def _same_instant(extracted: str | None, truth: datetime) -> bool:
    """The same instant, or the same local day where the page only prints a day."""
    if extracted is None:
        return False
    if "T" not in extracted:  # the page gives a bare date
        return extracted == truth.date().isoformat()
    return datetime.fromisoformat(extracted) == truth


def _gold_body(source: ArticleSource) -> list[str]:
    return source.body_lines()


@pytest.mark.parametrize("profile", package_profiles(), ids=lambda p: p.name)
def test_every_outlet_has_three_fixture_pages(profile: Any) -> None:
    pages = [p for p in PAGES if p.parent.name == profile.name]
    assert len(pages) >= 3, f"outlet {profile.name} has {len(pages)} fixture pages, needs 3"


@pytest.mark.parametrize("page", PAGES, ids=_case_id)
def test_extraction_matches_expected_json(page: Path) -> None:
    expected = _expected(page)
    article = extract(gzip.decompress(page.read_bytes()), expected["url"]).to_dict()
    for field in REQUIRED:
        assert expected.get(field), f"expected field {field!r} is empty"
    assert article.pop("extractor_version")
    assert article == expected


@pytest.mark.parametrize("page", PAGES, ids=_case_id)
def test_extraction_matches_source_record(page: Path) -> None:
    source = _source(page)
    article = extract(gzip.decompress(page.read_bytes()), source.url)
    assert article.title == source.title
    assert article.sapo == source.sapo
    assert (article.body or "").split("\n") == _gold_body(source)
    assert article.authors == list(source.authors)
    assert article.published_at is not None and "T" in article.published_at
    assert _same_instant(article.published_at, source.published)
    if source.modified is not None:
        assert _same_instant(article.modified_at, source.modified)
    assert article.category == source.category
    assert article.tags == list(source.tags)
    assert article.canonical_url is not None
    assert [i["caption"] for i in article.images] == [b.caption for b in source.images()]
    text = "\n".join(s for s in (article.sapo, article.body) if s)
    for needle in BOILERPLATE:
        assert needle not in text, f"boilerplate {needle!r} leaked"
    for link in source.related:
        assert link.title not in text, f"related title leaked: {link.title}"
    if source.byline:
        assert source.byline not in text
    if source.dateline:
        assert source.dateline.strip() not in text


@pytest.mark.parametrize("page", PAGES, ids=_case_id)
def test_every_text_field_is_nfc(page: Path) -> None:
    article = extract(gzip.decompress(page.read_bytes()), _source(page).url).to_dict()
    strings = [v for v in article.values() if isinstance(v, str)]
    strings += [s for v in article.values() if isinstance(v, list) for s in v if isinstance(s, str)]
    strings += [i["caption"] for i in article["images"] if i["caption"]]
    for value in strings:
        assert unicodedata.is_normalized("NFC", value), value
