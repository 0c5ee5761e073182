"""WarcArchiveMiddleware inside a real Scrapy crawl of a local HTTP server.

The crawl runs in a subprocess (one Twisted reactor per process); the server runs in a
thread of the test process.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from warc_testing import VIETNAMESE

from crawler.archive import WarcLocation, iter_records, read_record, verify
from crawler.archive.middleware import PRIORITY

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = VIETNAMESE.encode("utf-8")
GZ_PAGE = VIETNAMESE.replace("bão", "lũ").encode("utf-8") * 5
CHUNKS = [b"<html><body>", "Đà Nẵng chunked".encode(), b"</body></html>"]
FEED = b"<?xml version='1.0'?><rss><channel><title>Tin</title></channel></rss>"
MIRRORED_URL = "https://baohatinh.vn/thoi-su/bai-mirror.html"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def send(self, status: int, body: bytes, ctype: str, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        html = "text/html; charset=utf-8"
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path in ("/article", "/article2", "/mirror/page"):
            self.send(200, ARTICLE, html)
        elif self.path == "/gz":
            self.send(200, gzip.compress(GZ_PAGE), html, Content_Encoding="gzip")
        elif self.path == "/feed.xml":
            self.send(200, FEED, "application/rss+xml")
        elif self.path == "/missing":
            self.send(404, b"<h1>Kh\xc3\xb4ng t\xc3\xacm th\xe1\xba\xa5y</h1>", html)
        elif self.path == "/error":
            self.send(500, b"<h1>L\xe1\xbb\x97i</h1>", html)
        elif self.path.startswith("/redirect"):
            self.send(302, b"moved", "text/plain", Location="/article2")
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", html)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send(404, b"no", "text/plain")


CRAWL_SCRIPT = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from crawler.config import load_settings

base, out = sys.argv[1], sys.argv[2]
settings = load_settings(sys.argv[3:])
settings.set("DOWNLOADER_MIDDLEWARES", {__MW__: __PRIORITY__}, priority="cmdline")
settings.set("SPIDER_MODULES", [], priority="cmdline")
settings.set("ITEM_PIPELINES", {}, priority="cmdline")
settings.set("EXTENSIONS", {}, priority="cmdline")

class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        for path in ["/article", "/gz", "/missing", "/error", "/redirect", "/chunked",
                     "/feed.xml", "/redirect?follow=1"]:
            # the spider sees 404s and 500s; "?follow" lets RedirectMiddleware follow the 302
            meta = {} if "follow" in path else {"handle_httpstatus_all": True}
            yield scrapy.Request(base + path, meta=meta, dont_filter=True)
        yield scrapy.Request(base + "/mirror/page", dont_filter=True,
                             meta={"archive_url": __MIRRORED_URL__})

    def parse(self, response):
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"url": response.url, "status": response.status,
                                "warc": response.meta.get("warc")}) + "\\n")

process = CrawlerProcess(settings, install_root_handler=False)
crawler = process.create_crawler(Probe)
process.crawl(crawler)
process.start()
with open(out + ".stats", "w") as f:
    json.dump({k: v for k, v in crawler.stats.get_stats().items() if k.startswith("warc/")}, f)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def crawl(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    data = tmp_path_factory.mktemp("crawl")
    out = data / "seen.jsonl"
    script = (
        CRAWL_SCRIPT.replace("__MW__", repr("crawler.archive.middleware.WarcArchiveMiddleware"))
        .replace("__PRIORITY__", str(PRIORITY))
        .replace("__MIRRORED_URL__", repr(MIRRORED_URL))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            server,
            str(out),
            f"ARCHIVE_DATA_DIR={data}",
            "ARCHIVE_RUN_ID=testrun",
            "ARCHIVE_WARC_MAX_BYTES=3000",
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
            "RETRY_TIMES=1",
            "LOG_LEVEL=INFO",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    return data, seen


def _by_path(seen: list[Any], path: str) -> dict[str, Any]:
    (item,) = [s for s in seen if s["url"].endswith(path)]
    assert isinstance(item, dict)
    return item


def _all_responses(data: Path) -> list[Any]:
    return [
        record
        for path in sorted((data / "warc").iterdir())
        for record in iter_records(path, check=True)
        if record.type == "response"
    ]


def test_every_response_reaching_the_spider_carries_its_location(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    assert len(seen) == 9
    for item in seen:
        assert set(item["warc"]) == {"file", "offset", "length"}
        archived = read_record(data, WarcLocation(**item["warc"]), check=True)
        assert archived.status == item["status"]
        if "/mirror/" not in item["url"]:
            assert archived.url == item["url"]

    article = read_record(data, WarcLocation(**_by_path(seen, "/article")["warc"]))
    assert article.body == ARTICLE
    assert article.header("Content-Type") == "text/html; charset=utf-8"
    missing = read_record(data, WarcLocation(**_by_path(seen, "/missing")["warc"]))
    assert missing.status == 404 and "Không tìm thấy" in missing.body.decode()
    error = read_record(data, WarcLocation(**_by_path(seen, "/error")["warc"]))
    assert error.status == 500
    feed = read_record(data, WarcLocation(**_by_path(seen, "/feed.xml")["warc"]))
    assert feed.body == FEED


def test_gzip_body_is_stored_decoded_with_the_removal_noted(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    archived = read_record(data, WarcLocation(**_by_path(seen, "/gz")["warc"]), check=True)
    assert archived.body == GZ_PAGE
    assert archived.header("Content-Encoding") is None
    assert archived.header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert archived.header("Content-Length") == str(len(GZ_PAGE))
    assert archived.header("X-Archive-Orig-Content-Length") == str(len(gzip.compress(GZ_PAGE)))


def test_chunked_body_is_stored_dechunked(crawl: tuple[Path, list[Any]]) -> None:
    data, seen = crawl
    archived = read_record(data, WarcLocation(**_by_path(seen, "/chunked")["warc"]))
    assert archived.body == b"".join(CHUNKS)
    assert archived.header("Transfer-Encoding") is None  # Twisted drops it when de-chunking
    assert archived.header("Content-Length") == str(len(archived.body))


def test_mirrored_request_is_recorded_under_the_outlet_url(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    item = _by_path(seen, "/mirror/page")
    assert item["url"].startswith("http://127.0.0.1:")
    archived = read_record(data, WarcLocation(**item["warc"]))
    assert archived.url == MIRRORED_URL
    assert archived.body == ARTICLE


def test_robots_redirects_and_retried_errors_are_archived(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    responses = _all_responses(data)
    counts = Counter((r.url.split("/", 3)[-1], r.status) for r in responses)
    assert counts == {
        ("robots.txt", 200): 1,
        ("article", 200): 1,
        ("gz", 200): 1,
        ("missing", 404): 1,
        ("error", 500): 2,  # the first try and the retry
        ("redirect", 302): 1,
        ("redirect?follow=1", 302): 1,
        ("article2", 200): 1,
        ("chunked", 200): 1,
        ("feed.xml", 200): 1,
        ("thoi-su/bai-mirror.html", 200): 1,
    }
    redirects = [r for r in responses if r.status == 302]
    assert len(redirects) == 2
    for redirect in redirects:
        assert ("Location", "/article2") in (redirect.http_headers or ())
        assert redirect.payload == b"moved"
    # the followed redirect's final response has its own location; the other 302 reached
    # the spider, with the 302's location
    followed = _by_path(seen, "/article2")["warc"]
    assert read_record(data, WarcLocation(**followed)).url.endswith("/article2")
    kept = _by_path(seen, "/redirect")["warc"]
    assert read_record(data, WarcLocation(**kept)).status == 302


def test_files_rotate_verify_and_stats_match(crawl: tuple[Path, list[Any]]) -> None:
    data, seen = crawl
    files = sorted(p.name for p in (data / "warc").iterdir())
    assert len(files) > 1
    assert files == [f"testrun-{n:05d}.warc.gz" for n in range(len(files))]
    report = verify(data, [WarcLocation(**item["warc"]) for item in seen])
    assert report.problems == []
    assert report.responses == 12
    stats = json.loads((data / "seen.jsonl.stats").read_text())
    assert stats["warc/records"] == 12
    assert stats["warc/files"] == len(files)
    assert stats["warc/bytes"] == report.bytes
