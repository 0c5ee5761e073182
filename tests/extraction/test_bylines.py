from __future__ import annotations

import pytest

from crawler.extraction.bylines import looks_like_byline, parse_byline


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Thanh Quỳnh", ["Thanh Quỳnh"]),
        ("Q.H", ["Q.H"]),
        ("Bài, ảnh: TRƯỜNG SƠN", ["Trường Sơn"]),
        ("Tin, ảnh: P.Y", ["P.Y"]),
        ("MINH HUY", ["Minh Huy"]),
        ("Bài và ảnh: Nguyễn Văn An - Lê Thị Bình", ["Nguyễn Văn An", "Lê Thị Bình"]),
        ("Thực hiện: HOÀNG ANH, THU HÀ", ["Hoàng Anh", "Thu Hà"]),
    ],
)
def test_credit_lines_become_names(line: str, names: list[str]) -> None:
    assert looks_like_byline(line)
    assert parse_byline(line) == names


@pytest.mark.parametrize(
    "line",
    [
        "Trân trọng giới thiệu!",
        "Hội nghị kết thúc lúc 11 giờ.",
        "Theo Báo Nhân Dân",
        "Đây là một câu văn bình thường của bài báo.",
        "Phát biểu tại hội nghị, đại biểu cũng đề xuất tỉnh sớm có hướng dẫn",
        "Nguồn: TTXVN",
    ],
)
def test_sentences_are_not_bylines(line: str) -> None:
    assert not looks_like_byline(line)
