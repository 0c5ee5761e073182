"""Content hashing and signatures that versioning and dedup rely on."""

from __future__ import annotations

from dataclasses import replace

from crawler.dedup import minhash
from crawler.items import Article
from crawler.storage.versions import content_hash_of

ARTICLE = Article(
    url="https://baohatinh.vn/a-post1.html",
    title="Hà Tĩnh gieo cấy lúa xuân",
    sapo="Nông dân ra đồng từ sớm.",
    body="Đoạn một.\nĐoạn hai.",
    authors=["Thu Hà"],
    tags=["nông nghiệp"],
    category="Kinh tế",
    published_at="2025-02-03T07:30:00+07:00",
    extractor_version="1.0.0+epi.a",
)


def test_numpy_signature_is_datasketch_minhash() -> None:
    assert minhash.matches_datasketch()


def test_content_hash_covers_text_and_correctable_metadata() -> None:
    same = content_hash_of(replace(ARTICLE, extractor_version="2.0.0+epi.b"))
    assert same == content_hash_of(ARTICLE)  # a new extractor alone is no new version
    for change in (
        {"body": "Đoạn một.\nĐoạn hai đã sửa."},
        {"authors": ["Thu Hà", "Đình Nhật"]},
        {"tags": []},
        {"category": "Xã hội"},
        {"published_at": "2025-02-03T08:30:00+07:00"},
    ):
        assert content_hash_of(replace(ARTICLE, **change)) != content_hash_of(ARTICLE), change
