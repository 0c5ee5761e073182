"""WarcWriter and the reader: round trips, offsets, rotation, thread safety, crashes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from warc_testing import exchange, member, page_body, write_sample
from warcio.archiveiterator import ArchiveIterator

from crawler.archive import (
    CorruptRecordError,
    HttpExchange,
    RecordNotFoundError,
    WarcLocation,
    WarcWriter,
    iter_records,
    read_record,
    verify,
)
from crawler.archive import writer as writer_module
from crawler.archive.writer import archived_response_headers, payload_digest

ROOT = Path(__file__).resolve().parents[2]


def test_round_trip_keeps_vietnamese_body_headers_url_and_date(tmp_path: Path) -> None:
    body = page_body(7)
    with WarcWriter(tmp_path, prefix="rt") as writer:
        location = writer.write(exchange(7))

    assert location.file == "warc/rt-00000.warc.gz"
    got = read_record(tmp_path, location, check=True)
    assert got.url == "https://baohatinh.vn/thoi-su/bai-7.html"
    assert got.status == 200
    assert got.body == body
    assert "Thủ tướng Chính phủ" in got.body.decode("utf-8")
    assert got.date == datetime(2025, 3, 1, 12, 30, 7, tzinfo=UTC)
    assert got.header("content-type") == "text/html; charset=utf-8"
    assert [v for k, v in got.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert got.header("Content-Length") == str(len(body))
    scrapy_response = got.to_scrapy()
    assert scrapy_response.css("title::text").get() == "Hà Tĩnh: mưa lớn"


def test_file_holds_warcinfo_then_response_and_request_records(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 2)
    records = list(iter_records(tmp_path / locations[0].file, check=True))

    assert [r.type for r in records] == ["warcinfo", "response", "request", "response", "request"]
    info, response, request = records[:3]
    assert b"software: " in info.payload and b"warcio/" in info.payload
    assert response.offset == locations[0].offset and response.length == locations[0].length
    assert request.url == response.url
    assert dict(request.warc_headers)["WARC-Concurrent-To"] == response.record_id
    assert request.payload == b""
    assert request.http_headers is not None
    assert ("Host", "baohatinh.vn") in request.http_headers
    assert ("User-Agent", "vn-news-archive/0.1") in request.http_headers
    headers = dict(response.warc_headers)
    assert headers["WARC-Payload-Digest"].startswith("sha1:")
    assert headers["WARC-Block-Digest"].startswith("sha1:")
    assert headers["WARC-Date"] == "2025-03-01T12:30:00Z"


def test_offset_and_length_delimit_exactly_the_response_member(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 4)
    path = tmp_path / locations[0].file
    for i, location in enumerate(locations):
        record = member(path, location)  # gzip.decompress fails unless exactly whole members
        assert record.startswith(b"WARC/1.0\r\n")
        assert b"\r\nWARC-Type: response\r\n" in record
        assert f"bai-{i}.html".encode() in record
        assert record.count(b"WARC/1.0\r\n") == 1

    # warcio's own reader agrees on the offsets, lengths and digests.
    found = {}
    with path.open("rb") as f:
        iterator = ArchiveIterator(f, check_digests=True)
        for record in iterator:
            record.content_stream().read()
            assert record.digest_checker.passed is True
            if record.rec_type == "response":
                found[iterator.get_record_offset()] = iterator.get_record_length()
    assert found == {loc.offset: loc.length for loc in locations}


def test_rotation_by_size_makes_several_files_all_readable(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 30, prefix="rot", max_bytes=3000)

    files = sorted(p.name for p in (tmp_path / "warc").iterdir())
    assert len(files) >= 4
    assert files == [f"rot-{n:05d}.warc.gz" for n in range(len(files))]
    assert {loc.file for loc in locations} == {f"warc/{name}" for name in files}
    for i, location in enumerate(locations):
        assert read_record(tmp_path, location, check=True).body == page_body(i)
    for name in files:
        path = tmp_path / "warc" / name
        records = list(iter_records(path, check=True))
        assert records[0].type == "warcinfo"
        # a file is closed once it reaches max_bytes: only its last pair may cross the line
        last_pair_start = records[-2].offset
        assert last_pair_start < 3000
    assert verify(tmp_path, locations).problems == []


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "warc").mkdir()
    (tmp_path / "warc" / "same-00000.warc.gz").write_bytes(b"not mine")
    location = write_sample(tmp_path, 1, prefix="same")[0]

    assert location.file == "warc/same-00001.warc.gz"
    assert (tmp_path / "warc" / "same-00000.warc.gz").read_bytes() == b"not mine"


def test_prefix_is_sanitised_and_defaults_to_a_timestamp(tmp_path: Path) -> None:
    assert WarcWriter(tmp_path, prefix="../evil run/1").prefix == "evil_run_1"
    assert re.fullmatch(r"\d{8}T\d{6}Z", WarcWriter(tmp_path).prefix)


def test_closed_writer_refuses_writes_and_leaves_no_empty_files(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    writer.close()
    with pytest.raises(RuntimeError):
        writer.write(exchange(0))
    assert not (tmp_path / "warc").exists()


def test_failed_write_is_cut_off_so_later_records_stay_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Boom(Exception):
        pass

    original = writer_module._GzipMemberSink.write

    def failing_write(self: Any, data: bytes) -> None:
        original(self, data)
        if b"/boom" in data:  # the response record's WARC headers: fail half-way through
            self._out.write(b"half a record")
            raise Boom

    monkeypatch.setattr(writer_module._GzipMemberSink, "write", failing_write)
    with WarcWriter(tmp_path, prefix="cut") as writer:
        first = writer.write(exchange(0))
        size = (tmp_path / first.file).stat().st_size
        with pytest.raises(Boom):
            writer.write(HttpExchange("https://x.vn/boom", 200, [], b"body"))
        assert writer._file is not None
        writer._file.flush()
        assert (tmp_path / first.file).stat().st_size == size
        second = writer.write(exchange(1))
    assert second.offset == size
    assert verify(tmp_path, [first, second]).problems == []


def test_concurrent_writes_from_threads(tmp_path: Path) -> None:
    results: list[tuple[int, WarcLocation]] = []
    lock = threading.Lock()
    with WarcWriter(tmp_path, prefix="mt", max_bytes=20_000) as writer:

        def work(start: int) -> None:
            for i in range(start, start + 25):
                location = writer.write(exchange(i))
                with lock:
                    results.append((i, location))

        threads = [threading.Thread(target=work, args=(n * 25,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(results) == 200
    assert writer.records_written == 200
    assert writer.bytes_written == sum(p.stat().st_size for p in (tmp_path / "warc").iterdir())
    for i, location in results:
        got = read_record(tmp_path, location)
        assert got.url.endswith(f"/bai-{i}.html")
        assert got.body == page_body(i)
    report = verify(tmp_path, [loc for _, loc in results])
    assert report.problems == []
    assert report.responses == 200


def test_read_record_errors(tmp_path: Path) -> None:
    location = write_sample(tmp_path, 2)[0]
    with pytest.raises(RecordNotFoundError, match="no archive file"):
        read_record(tmp_path, WarcLocation("warc/nope.warc.gz", 0, 0))
    with pytest.raises(RecordNotFoundError, match="no gzip member"):
        read_record(tmp_path, WarcLocation(location.file, location.offset + 1, 0))
    with pytest.raises(RecordNotFoundError, match="not a response"):
        read_record(tmp_path, WarcLocation(location.file, 0, 0))  # the warcinfo record
    with pytest.raises(RecordNotFoundError, match="bytes long"):
        read_record(tmp_path, WarcLocation(location.file, location.offset, location.length + 1))
    with pytest.raises(RecordNotFoundError, match="inside the data folder"):
        read_record(tmp_path, WarcLocation("../outside.warc.gz", 0, 0))
    path = tmp_path / location.file
    data = bytearray(path.read_bytes())
    data[location.offset + location.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptRecordError):
        read_record(tmp_path, location)


def test_archived_response_headers_keep_the_coding_and_note_what_was_removed() -> None:
    wire = [
        ("Content-Type", "text/html"),
        ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "120"),
    ]
    assert archived_response_headers(wire, 500) == [
        ("Content-Type", "text/html"),
        ("Content-Encoding", "gzip"),  # the payload is stored in it
        ("Content-Length", "500"),
        ("X-Archive-Orig-Transfer-Encoding", "chunked"),
        ("X-Archive-Orig-Content-Length", "120"),
    ]
    # Headers true of the payload are kept as they are; none is added.
    same = [("Content-Length", "3"), ("Content-Encoding", "br")]
    assert archived_response_headers(same, 3) == same
    assert archived_response_headers([("Content-Type", "text/plain")], 3) == [
        ("Content-Type", "text/plain")
    ]


def test_gzip_payload_is_stored_as_sent_and_read_back_decoded(tmp_path: Path) -> None:
    import gzip

    page = page_body(3)
    wire = gzip.compress(page, mtime=0)
    fetch = HttpExchange(
        url="https://baohatinh.vn/gz.html",
        status=200,
        response_headers=[("Content-Encoding", "gzip"), ("Content-Length", str(len(wire)))],
        body=wire,
    )
    with WarcWriter(tmp_path, prefix="gz") as writer:
        written = writer.write_fetch(fetch)
    assert written.digest == payload_digest(wire)
    got = read_record(tmp_path, written.location, check=True)
    assert (got.payload, got.body) == (wire, page)
    assert got.header("Content-Encoding") == "gzip"
    assert got.to_scrapy().body == page  # a Scrapy response of the decoded page


def test_revisit_record_refers_to_the_capture_and_holds_no_payload(tmp_path: Path) -> None:
    from crawler.archive import Capture

    with WarcWriter(tmp_path, prefix="rv") as writer:
        first = writer.write_fetch(exchange(1))
        capture = Capture(exchange(1).url, first.date, first.digest, first.location)
        again = writer.write_fetch(exchange(1), revisit_of=capture)
        with pytest.raises(ValueError, match="payload digest"):
            writer.write_fetch(exchange(2), revisit_of=capture)
    assert again.location == first.location  # the payload is in the first record
    assert again.record != first.record and again.revisit_of == capture
    assert writer.revisits_written == 1 and writer.records_written == 2
    records = list(iter_records(tmp_path / first.location.file, check=True))
    assert [r.type for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    revisit = records[3]
    assert (revisit.offset, revisit.length) == (again.record.offset, again.record.length)
    headers = dict(revisit.warc_headers)
    assert headers["WARC-Refers-To-Target-URI"] == capture.url
    assert headers["WARC-Refers-To-Date"] == dict(records[1].warc_headers)["WARC-Date"]
    assert "WARC-Refers-To" not in headers  # not known for this capture
    assert headers["WARC-Payload-Digest"] == first.digest
    assert revisit.payload == b"" and revisit.status == 200
    assert len(revisit.http_headers or ()) == len(exchange(1).response_headers)
    # A reader is pointed at the record holding the payload, never at the revisit.
    with pytest.raises(RecordNotFoundError, match="revisit"):
        read_record(tmp_path, again.record)
    assert verify(tmp_path, [first.location, again.location]).problems == []


CRASH_SCRIPT = """
import json, sys, time
from warc_testing import exchange
from crawler.archive import WarcWriter
writer = WarcWriter(sys.argv[1], prefix="crash")
for i in range(int(sys.argv[2])):
    loc = writer.write(exchange(i))
    print(json.dumps([loc.file, loc.offset, loc.length]), flush=True)
print("done", flush=True)
time.sleep(60)
"""


def test_sigkill_leaves_written_records_readable(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)])}
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(tmp_path), "40"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        if line.strip() == "done":
            break
        lines.append(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    locations = [WarcLocation(*json.loads(line)) for line in lines]
    assert len(locations) == 40
    for i, location in enumerate(locations):  # no close(), no fsync: flushed per record
        assert read_record(tmp_path, location, check=True).body == page_body(i)
    assert verify(tmp_path, locations).problems == []


def test_records_of_the_decoded_era_read_as_they_were_stored(tmp_path: Path) -> None:
    """Before wire bytes, the archive stored decoded bodies and moved the coding to
    ``X-Archive-Orig-Content-Encoding``: such records read back unchanged."""
    page = page_body(5)
    old_style = HttpExchange(
        url="https://baohatinh.vn/old.html",
        status=200,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page))),
            ("X-Archive-Orig-Content-Encoding", "gzip"),
            ("X-Archive-Orig-Content-Length", "321"),
        ],
        body=page,
    )
    with WarcWriter(tmp_path, prefix="old") as writer:
        location = writer.write(old_style)
    got = read_record(tmp_path, location, check=True)
    assert got.body == got.payload == page
    assert got.header("Content-Encoding") is None
    assert got.header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert got.to_scrapy().css("title::text").get() == "Hà Tĩnh: mưa lớn"
