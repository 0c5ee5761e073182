"""A real Scrapy crawl through the page ledger and the pipelines (a subprocess of the tests).

    python crawl.py DB_URL DATA_DIR

Serves a handful of pages from a local HTTP server, fakes the WARC middleware's
``response.meta["warc"]`` and prints ``RESULT <json>`` with the warnings raised by the
archive's own code (there must be none).
"""

from __future__ import annotations

import json
import sys
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.config import load_settings
from crawler.items import Article
from crawler.storage.records import ExtractionFailure

PARAGRAPHS = [
    "Sáng 12/3, Ủy ban nhân dân tỉnh tổ chức hội nghị triển khai kế hoạch phát triển kinh tế "
    "xã hội năm 2025 với sự tham dự của lãnh đạo các sở ban ngành và địa phương trong tỉnh.",
    "Theo báo cáo, tổng sản phẩm trên địa bàn tăng 6,8% so với cùng kỳ, thu ngân sách đạt hơn "
    "12 nghìn tỷ đồng, vượt dự toán được giao và tạo đà cho những tháng cuối năm.",
]
OTHER = [
    "Chiều 5/4, đội tuyển bóng đá tỉnh giành chiến thắng 2-1 trước đối thủ trong trận đấu "
    "thuộc vòng 10 giải hạng Nhất quốc gia diễn ra trên sân vận động của tỉnh nhà.",
    "Với kết quả này, đội bóng vươn lên vị trí thứ ba trên bảng xếp hạng và nuôi hy vọng "
    "cạnh tranh suất thăng hạng vào cuối mùa giải năm nay trước sự cổ vũ của khán giả.",
]


def page(title: str, paragraphs: list[str], canonical: str | None = None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    ps = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head>{link}</head><body><h1>{title}</h1>{ps}</body></html>".encode()


PAGES = {
    "/a-post1.html": page("Hội nghị kinh tế", PARAGRAPHS, "https://www.baohatinh.vn/a-post1.html"),
    "/b-post2.html": page("Bóng đá", OTHER, "https://baohatinh.vn/b-post2.html"),
    "/copy-post3.html": page("Bản sao", PARAGRAPHS, "https://baohatinh.vn/copy-post3.html"),
    "/broken-post4.html": b"<html><body>nothing</body></html>",
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path.split("?")[0])
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: Any) -> None:
        pass


class FakeWarcMiddleware:
    """What ``crawler/archive`` does: sets ``request.meta["warc"]`` (= ``response.meta``)."""

    offset = 0

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        request.meta["warc"] = {
            "file": "warc/test-00001.warc.gz",
            "offset": FakeWarcMiddleware.offset,
            "length": len(response.body) + 100,
        }
        FakeWarcMiddleware.offset += len(response.body) + 100
        return response


class FilesSpider(scrapy.Spider):
    name = "files"
    crawl_mode = "full"

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base

    async def start(self) -> Any:
        for path in PAGES:
            yield scrapy.Request(self.base + path)
        yield scrapy.Request(self.base + "/a-post1.html?utm_source=x", priority=-10)

    def parse(self, response: Any) -> Any:
        paragraphs = response.css("p::text").getall()
        if not paragraphs:
            yield ExtractionFailure(url=response.url, error="no article body", status=200)
            return
        yield Article(
            url=response.url,
            canonical_url=response.css("link[rel=canonical]::attr(href)").get(),
            outlet="baohatinh.vn",
            title=response.css("h1::text").get(),
            body="\n".join(paragraphs),
        )


def main() -> int:
    url, data_dir = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings = load_settings(
        [f"ARCHIVE_DATABASE_URL={url}", f"ARCHIVE_DATA_DIR={data_dir}", "ARCHIVE_BATCH_SIZE=2"]
    )
    settings.set("ARCHIVE_WRITER_QUEUE", 1)  # exercise the backpressure path
    settings.set("ROBOTSTXT_OBEY", False)
    settings.set("DOWNLOAD_DELAY", 0)
    settings.set("AUTOTHROTTLE_ENABLED", False)
    settings.set("LOG_LEVEL", "WARNING")
    settings.set(
        "ITEM_PIPELINES",
        {
            "pipelines.normalize.NormalizePipeline": 100,
            "pipelines.store.StorePipeline": 800,
        },
    )
    settings.set("EXTENSIONS", {"pipelines.pages.PageLedger": 500})
    settings.set("DOWNLOADER_MIDDLEWARES", {"__main__.FakeWarcMiddleware": 950})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        process = CrawlerProcess(settings)
        process.crawl(FilesSpider, base=base)
        process.start()
    ours = [
        f"{w.category.__name__}: {w.message} ({w.filename})"
        for w in caught
        if any(part in w.filename for part in ("pipelines", "crawler/storage", "crawler/dedup"))
        or "pipelines." in str(w.message)
        or "crawler.storage" in str(w.message)
    ]
    print("RESULT " + json.dumps({"warnings": ours}), flush=True)
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
