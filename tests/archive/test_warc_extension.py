"""The WARC archive extension inside a real Scrapy crawl of a local HTTP server.

The server records the exact bytes it sends and the request headers it receives, so the tests
compare the archive with what really went over the wire (not with what the crawler believes).
The crawl runs in a subprocess (one Twisted reactor per process); the server runs in a thread
of the test process.
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
from warcio.archiveiterator import ArchiveIterator

from crawler.archive import WarcLocation, iter_records, read_record, verify
from crawler.archive.writer import payload_digest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = VIETNAMESE.encode("utf-8")
GZ_PAGE = VIETNAMESE.replace("bão", "lũ").encode("utf-8") * 5
CHUNKS = [b"<html><body>", "Đà Nẵng chunked".encode(), b"</body></html>"]
FEED = b"<?xml version='1.0'?><rss><channel><title>Tin</title></channel></rss>"
MIRRORED_URL = "https://baohatinh.vn/thoi-su/bai-mirror.html"
PATHS = [
    "/article",
    "/gz",
    "/gz-chunked",
    "/missing",
    "/error",
    "/redirect",
    "/chunked",
    "/feed.xml",
    "/redirect?follow=1",
    "/article",  # fetched again, unchanged: a revisit record
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

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
        self.server.sent.setdefault(self.key, []).append(body)

    def send_chunked(self, chunks: list[bytes], ctype: str, **extra: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.server.sent.setdefault(self.key, []).append(b"".join(chunks))

    @property
    def key(self) -> str:
        """Host (the real one for a mirrored request, else empty) and path."""
        return (self.headers.get("X-Archive-Host") or "") + self.path

    def do_GET(self) -> None:
        self.server.received.setdefault(self.key, []).append(list(self.headers.items()))
        html = "text/html; charset=utf-8"
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path in ("/article", "/article2", "/thoi-su/bai-mirror.html"):
            self.send(200, ARTICLE, html)
        elif self.path == "/gz":
            self.send(200, gzip.compress(GZ_PAGE, mtime=0), html, Content_Encoding="gzip")
        elif self.path == "/gz-chunked":
            data = gzip.compress(GZ_PAGE, mtime=0)
            self.send_chunked([data[:40], data[40:]], html, Content_Encoding="gzip")
        elif self.path == "/feed.xml":
            self.send(200, FEED, "application/rss+xml")
        elif self.path == "/missing":
            self.send(404, "<h1>Không tìm thấy</h1>".encode(), html)
        elif self.path == "/error":
            self.send(500, "<h1>Lỗi</h1>".encode(), html)
        elif self.path.startswith("/redirect"):
            self.send(302, b"moved", "text/plain", Location="/article2")
        elif self.path == "/chunked":
            self.send_chunked(CHUNKS, html)
        else:
            self.send(404, b"no", "text/plain")


class Server(ThreadingHTTPServer):
    sent: dict[str, list[bytes]]
    received: dict[str, list[list[tuple[str, str]]]]


CRAWL_SCRIPT = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from crawler.config import load_settings

base, out = sys.argv[1], sys.argv[2]
settings = load_settings(sys.argv[3:])
settings.set("EXTENSIONS", {"crawler.archive.extension.WarcArchive": 400}, priority="cmdline")
settings.set("SPIDER_MODULES", [], priority="cmdline")
settings.set("ITEM_PIPELINES", {}, priority="cmdline")
settings.set("ARCHIVE_MIRRORS", json.dumps({"baohatinh.vn": base}), priority="cmdline")

class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        for path in __PATHS__:
            # the spider sees 404s and 500s; "?follow" lets RedirectMiddleware follow the 302
            meta = {} if "follow" in path else {"handle_httpstatus_all": True}
            yield scrapy.Request(base + path, meta=meta, dont_filter=True)
        yield scrapy.Request(__MIRRORED_URL__, dont_filter=True)

    def parse(self, response):
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"url": response.url, "status": response.status,
                                "warc": response.meta.get("warc"),
                                "body": response.text}) + "\\n")

process = CrawlerProcess(settings, install_root_handler=False)
crawler = process.create_crawler(Probe)
process.crawl(crawler)
process.start()
with open(out + ".stats", "w") as f:
    json.dump({k: v for k, v in crawler.stats.get_stats().items() if k.startswith("warc/")}, f)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.sent, httpd.received = {}, {}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def crawl(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    data = tmp_path_factory.mktemp("crawl")
    out = data / "seen.jsonl"
    script = CRAWL_SCRIPT.replace("__PATHS__", repr(PATHS)).replace(
        "__MIRRORED_URL__", repr(MIRRORED_URL)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            f"http://127.0.0.1:{server.server_address[1]}",
            str(out),
            f"ARCHIVE_DATA_DIR={data}",
            "ARCHIVE_RUN_ID=testrun",
            "ARCHIVE_WARC_MAX_BYTES=3000",
            "ARCHIVE_CONTACT=ops@archive.example",
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
            "CONCURRENT_REQUESTS=1",
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


def _key(url: str) -> str:
    """The server's key of a recorded URL: the real host of a mirrored one, and the path."""
    host = "baohatinh.vn" if url.startswith("https://baohatinh.vn/") else ""
    return host + "/" + url.split("/", 3)[-1]


def _by_path(seen: list[Any], path: str) -> list[dict[str, Any]]:
    return [s for s in seen if s["url"].endswith(path)]


def _records(data: Path, *types: str) -> list[Any]:
    return [
        record
        for path in sorted((data / "warc").iterdir())
        if path.name.endswith(".warc.gz")
        for record in iter_records(path, check=True)
        if record.type in types
    ]


def test_payload_digest_is_the_sha1_of_the_bytes_the_server_sent(
    crawl: tuple[Path, list[Any]], server: Server
) -> None:
    data, _ = crawl
    responses = _records(data, "response")
    checked = 0
    for record in responses:
        sent = server.sent[_key(record.url)]
        headers = dict(record.warc_headers)
        # Every fetch of the URL sent the same bytes here (retries included).
        assert {bytes(b) for b in sent} == {record.payload}, record.url
        assert headers["WARC-Payload-Digest"] == payload_digest(sent[0]), record.url
        checked += 1
    assert checked == len(responses) >= 13
    # The gzip responses really are stored compressed, as sent.
    (gz,) = [r for r in responses if r.url.endswith("/gz")]
    assert gz.payload.startswith(b"\x1f\x8b") and gz.payload != GZ_PAGE


def test_content_encoding_is_kept_and_readers_decode(crawl: tuple[Path, list[Any]]) -> None:
    data, seen = crawl
    for path in ("/gz", "/gz-chunked"):
        (item,) = _by_path(seen, path)
        archived = read_record(data, WarcLocation.from_dict(item["warc"]), check=True)
        assert archived.header("Content-Encoding") == "gzip"
        assert archived.payload == gzip.compress(GZ_PAGE, mtime=0)
        assert archived.body == GZ_PAGE  # decoded through warcio's content_stream()
        assert archived.to_scrapy().text == item["body"]  # what the spider saw
        assert archived.header("Transfer-Encoding") is None
    (plain,) = _by_path(seen, "/gz")
    assert read_record(data, WarcLocation.from_dict(plain["warc"])).header("Content-Length") == str(
        len(gzip.compress(GZ_PAGE, mtime=0))
    )


def test_chunked_body_is_stored_without_transfer_encoding(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    (item,) = _by_path(seen, "/chunked")
    archived = read_record(data, WarcLocation.from_dict(item["warc"]), check=True)
    assert archived.payload == archived.body == b"".join(CHUNKS)
    assert archived.header("Transfer-Encoding") is None


def test_request_records_hold_the_headers_the_server_received(
    crawl: tuple[Path, list[Any]], server: Server
) -> None:
    data, _ = crawl
    requests = _records(data, "request")
    compared = 0
    for record in requests:
        stored = sorted((k.lower(), v) for k, v in record.http_headers)
        received = [sorted((k.lower(), v) for k, v in h) for h in server.received[_key(record.url)]]
        assert stored in received, (record.url, stored, received)
        compared += 1
    assert compared == 15


def test_mirrored_fetch_records_the_mirror_it_really_came_from(
    crawl: tuple[Path, list[Any]], server: Server
) -> None:
    data, seen = crawl
    (item,) = [s for s in seen if s["url"] == MIRRORED_URL]
    archived = read_record(data, WarcLocation.from_dict(item["warc"]), check=True)
    assert archived.url == MIRRORED_URL
    assert archived.body == ARTICLE
    (response,) = [r for r in _records(data, "response") if r.url == MIRRORED_URL]
    (request,) = [r for r in _records(data, "request") if r.url == MIRRORED_URL]
    origin = f"127.0.0.1:{server.server_address[1]}"
    assert dict(response.warc_headers)["WARC-IP-Address"] == "127.0.0.1"  # the mirror's
    assert "WARC-Source-URI" not in dict(request.warc_headers)
    assert dict(response.warc_headers)["WARC-Source-URI"] == (
        f"http://{origin}/thoi-su/bai-mirror.html"
    )
    stored = sorted((k.lower(), v) for k, v in request.http_headers)
    assert ("host", origin) in stored and ("x-archive-host", "baohatinh.vn") in stored
    received = server.received[_key(MIRRORED_URL)]
    assert stored in [sorted((k.lower(), v) for k, v in h) for h in received]


def test_real_fetches_record_the_address_connected_to(crawl: tuple[Path, list[Any]]) -> None:
    data, _ = crawl
    for record in _records(data, "response", "revisit"):
        headers = dict(record.warc_headers)
        assert headers["WARC-IP-Address"] == "127.0.0.1"
        mirrored = record.url.startswith("https://baohatinh.vn/")
        assert ("WARC-Source-URI" in headers) == mirrored


def test_unchanged_refetch_is_a_revisit_of_the_first_capture(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    first, second = _by_path(seen, "/article")
    assert (first["warc"]["revisit"], second["warc"]["revisit"]) == (False, True)
    assert first["warc"]["digest"] == second["warc"]["digest"] == payload_digest(ARTICLE)
    # Both pages point at the record holding the payload.
    assert WarcLocation.from_dict(first["warc"]) == WarcLocation.from_dict(second["warc"])
    assert read_record(data, WarcLocation.from_dict(second["warc"])).body == ARTICLE
    (revisit,) = [r for r in _records(data, "revisit") if r.url.endswith("/article")]
    (original,) = [r for r in _records(data, "response") if r.url.endswith("/article")]
    headers = dict(revisit.warc_headers)
    assert headers["WARC-Profile"] == (
        "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
    )
    assert headers["WARC-Refers-To-Target-URI"] == original.url == revisit.url
    assert headers["WARC-Refers-To-Date"] == dict(original.warc_headers)["WARC-Date"]
    assert headers["WARC-Refers-To"] == original.record_id
    assert headers["WARC-Payload-Digest"] == payload_digest(ARTICLE)
    assert revisit.payload == b"" and revisit.status == 200


def test_robots_redirects_and_retried_errors_are_archived(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    responses = _records(data, "response", "revisit")
    counts = Counter((r.type, r.url.split("/", 3)[-1], r.status) for r in responses)
    assert counts == {
        ("response", "robots.txt", 200): 2,  # the server's, and the mirrored outlet's
        ("response", "article", 200): 1,
        ("revisit", "article", 200): 1,
        ("response", "gz", 200): 1,
        ("response", "gz-chunked", 200): 1,
        ("response", "missing", 404): 1,
        ("response", "error", 500): 1,  # the first try
        ("revisit", "error", 500): 1,  # the retry: same payload
        ("response", "redirect", 302): 1,
        ("response", "redirect?follow=1", 302): 1,
        ("response", "article2", 200): 1,
        ("response", "chunked", 200): 1,
        ("response", "feed.xml", 200): 1,
        ("response", "thoi-su/bai-mirror.html", 200): 1,
    }
    redirects = [r for r in responses if r.status == 302]
    for redirect in redirects:
        assert ("Location", "/article2") in (redirect.http_headers or ())
        assert redirect.payload == b"moved"
    followed = _by_path(seen, "/article2")[0]["warc"]
    assert read_record(data, WarcLocation.from_dict(followed)).url.endswith("/article2")
    (kept,) = _by_path(seen, "/redirect")
    assert read_record(data, WarcLocation.from_dict(kept["warc"])).status == 302


def test_warcinfo_names_software_operator_and_robots_policy(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, _ = crawl
    infos = _records(data, "warcinfo")
    assert len(infos) == len(list((data / "warc").glob("*.warc.gz")))
    fields = dict(
        line.split(": ", 1) for line in infos[0].payload.decode().splitlines() if ": " in line
    )
    assert fields["software"].startswith("vn-news-archive/")
    assert "Scrapy/" in fields["software"] and "warcio/" in fields["software"]
    assert fields["operator"] == "ops@archive.example"
    assert fields["robots"].startswith("classic")
    assert "ops@archive.example" in fields["http-header-user-agent"]
    assert fields["format"] == "WARC File Format 1.0"
    assert fields["isPartOf"] == "testrun"


def test_files_rotate_verify_warcio_check_and_stats_match(
    crawl: tuple[Path, list[Any]],
) -> None:
    data, seen = crawl
    files = sorted(p.name for p in (data / "warc").iterdir())
    assert len(files) > 1
    assert files == [f"testrun-{n:05d}.warc.gz" for n in range(len(files))]
    report = verify(data, [WarcLocation.from_dict(item["warc"]) for item in seen])
    assert report.problems == []
    assert report.responses == 13
    stats = json.loads((data / "seen.jsonl.stats").read_text())
    assert stats["warc/records"] == 15
    assert stats["warc/revisits"] == 2
    assert stats["warc/files"] == len(files)
    assert stats["warc/bytes"] == report.bytes
    # warcio's own checker (the command archivists run) finds nothing wrong.
    check = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", "-v"]
        + [str(data / "warc" / name) for name in files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    assert "digest fail" not in check.stdout
    # and warcio's iterator reads the same digests
    with (data / "warc" / files[0]).open("rb") as f:
        for record in ArchiveIterator(f, check_digests=True):
            record.content_stream().read()
            assert record.digest_checker.passed is not False
