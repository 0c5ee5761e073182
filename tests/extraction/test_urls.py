from __future__ import annotations

import pytest

from crawler.urls import canonicalize, same_site


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "HTTPS://WWW.Baohatinh.vn:443/a-post1.html?utm_source=fb&fbclid=x#top",
            "https://baohatinh.vn/a-post1.html",
        ),
        (
            "https://m.baonghean.vn/x-12345678.html?zarsrc=31&gclid=1",
            "https://baonghean.vn/x-12345678.html",
        ),
        ("http://baoquangtri.vn:80/a/?b=2&a=1", "http://baoquangtri.vn/a/?a=1&b=2"),
        ("https://baocantho.com.vn/x-a1.html?page=2", "https://baocantho.com.vn/x-a1.html?page=2"),
    ],
)
def test_canonicalize(raw: str, canonical: str) -> None:
    assert canonicalize(raw) == canonical
    assert canonicalize(canonical) == canonical  # idempotent


def test_canonicalize_rejects_non_http() -> None:
    with pytest.raises(ValueError, match="not an http"):
        canonicalize("ftp://baohatinh.vn/x")


def test_same_site_folds_mirrors() -> None:
    assert same_site("https://m.baohatinh.vn/a", "https://baohatinh.vn/b")
    assert not same_site("https://baohatinh.vn/a", "https://baonghean.vn/a")
