"""Helpers shared by the archive tests."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crawler.archive import HttpExchange, WarcLocation, WarcWriter

if TYPE_CHECKING:
    from pathlib import Path

VIETNAMESE = (
    "<html><head><meta charset='utf-8'><title>Hà Tĩnh: mưa lớn</title></head><body>"
    "<p>Thủ tướng Chính phủ yêu cầu các địa phương chủ động ứng phó với bão số 3.</p>"
    "</body></html>"
)


def page_body(i: int) -> bytes:
    return (VIETNAMESE.replace("số 3", f"số {i}") * (1 + i % 3)).encode("utf-8")


def exchange(i: int) -> HttpExchange:
    body = page_body(i)
    return HttpExchange(
        url=f"https://baohatinh.vn/thoi-su/bai-{i}.html",
        status=200,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Content-Length", str(len(body))),
        ],
        body=body,
        request_headers=[("User-Agent", "vn-news-archive/0.1"), ("Accept", "text/html")],
        date=datetime(2025, 3, 1, 12, 30, i % 60, tzinfo=UTC),
    )


def write_sample(
    data_dir: Path, count: int = 6, *, prefix: str = "run", max_bytes: int = 10**9
) -> list[WarcLocation]:
    """``count`` fetches written to ``data_dir``; their response locations."""
    with WarcWriter(data_dir, prefix=prefix, max_bytes=max_bytes) as writer:
        return [writer.write(exchange(i)) for i in range(count)]


def member(path: Path, location: WarcLocation) -> bytes:
    """The decompressed bytes of the gzip member at ``location`` (read independently)."""
    with path.open("rb") as f:
        f.seek(location.offset)
        raw = f.read(location.length)
    return gzip.decompress(raw)


def flip_byte(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))
