"""verify(): good archives pass; damaged, truncated and missing records are reported."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

from warc_testing import flip_byte, write_sample

from crawler.archive import ExpectedRecord, WarcLocation, read_record, verify

if TYPE_CHECKING:
    from pathlib import Path


def test_good_archive_has_no_problems(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 12, max_bytes=4000)
    files = {loc.file for loc in locations}

    report = verify(tmp_path, locations)

    assert report.problems == []
    assert report.ok and report.is_ok(strict=True)
    assert report.files == len(files) > 1
    assert report.responses == 12
    assert report.records == 12 * 2 + len(files)  # + one warcinfo per file
    assert report.bytes == sum((tmp_path / f).stat().st_size for f in files)
    assert report.expected == 12


def test_flipped_byte_is_reported_and_later_records_still_read(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 5)
    victim = locations[2]
    flip_byte(tmp_path / victim.file, victim.offset + victim.length // 2)

    report = verify(tmp_path, locations)

    assert not report.ok
    assert report.missing == []
    offsets = {p.offset for p in report.corrupt}
    assert victim.offset in offsets
    # one report for the file scan, one for the expected location; nothing else
    assert len(report.corrupt) == 2
    assert all(p.file == victim.file for p in report.corrupt)
    # resynchronised after the damage: every other record was read
    assert report.responses == 4
    assert report.records == 1 + 2 * 5 - 1


def test_digest_mismatch_inside_valid_gzip_is_reported(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 3)
    last = locations[-1]
    path = tmp_path / last.file
    data = path.read_bytes()
    # Rewrite the last request record: same length, one payload byte changed, recompressed
    # as a valid gzip member. Only the digest can tell.
    request_offset = last.offset + last.length
    record = gzip.decompress(data[request_offset:])
    assert b"vn-news-archive/0.1" in record
    tampered = record.replace(b"vn-news-archive/0.1", b"vn-news-archive/0.2")
    path.write_bytes(data[:request_offset] + gzip.compress(tampered))

    report = verify(tmp_path, locations)

    assert [p.offset for p in report.corrupt] == [request_offset]
    assert "block digest failed" in report.corrupt[0].message
    assert report.missing == []
    assert report.records == 7


def test_truncated_file_is_reported_but_tolerated_unless_strict(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 4)
    path = tmp_path / locations[0].file
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size - 40)  # cut into the last (request) record

    report = verify(tmp_path, locations)

    assert len(report.truncated) == 1
    assert report.truncated[0].offset == locations[-1].offset + locations[-1].length
    assert "ends inside" in report.truncated[0].message
    assert report.corrupt == [] and report.missing == []
    assert report.ok
    assert not report.is_ok(strict=True)
    assert report.responses == 4

    # Cut into an expected response record: that record is then reported.
    with path.open("r+b") as f:
        f.truncate(locations[-1].offset + 10)
    report = verify(tmp_path, locations)
    assert [p.offset for p in report.truncated] == [locations[-1].offset]
    assert [p.offset for p in report.corrupt] == [locations[-1].offset]
    assert not report.ok


def test_missing_file_bad_offset_and_mismatches_are_reported(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 3)
    good = locations[0]
    expected: list[WarcLocation | ExpectedRecord] = [
        ExpectedRecord(good, "https://baohatinh.vn/thoi-su/bai-0.html"),
        WarcLocation("warc/gone-00000.warc.gz", 0, 100),
        WarcLocation(good.file, good.offset + 7, good.length),
        WarcLocation(good.file, good.offset + good.length, 0),  # the request record
        WarcLocation(good.file, good.offset, good.length + 1),
        ExpectedRecord(locations[1], "https://baohatinh.vn/khac.html"),
    ]

    report = verify(tmp_path, expected)

    assert report.corrupt == []
    messages = {(p.file, p.offset, p.message) for p in report.missing}
    assert messages == {
        ("warc/gone-00000.warc.gz", 0, "file not found"),
        (good.file, good.offset + 7, "no record starts at this offset"),
        (good.file, good.offset + good.length, "a request record, not a response"),
        (
            good.file,
            good.offset,
            f"record is {good.length} bytes long, the database says {good.length + 1}",
        ),
        (good.file, locations[1].offset, "record is for https://baohatinh.vn/thoi-su/bai-1.html"),
    }
    assert len(report.missing) == 5
    assert [p.url for p in report.missing if "record is for" in p.message] == [
        "https://baohatinh.vn/khac.html"
    ]
    assert not report.ok


def test_garbage_between_records_is_corrupt_and_skipped(tmp_path: Path) -> None:
    locations = write_sample(tmp_path, 3)
    path = tmp_path / locations[0].file
    data = path.read_bytes()
    cut = locations[1].offset
    path.write_bytes(data[:cut] + b"garbage!" * 10 + data[cut:])

    report = verify(tmp_path)

    assert [(p.kind, p.offset) for p in report.problems] == [("corrupt", cut)]
    assert report.responses == 3
    shifted = WarcLocation(locations[1].file, cut + 80, locations[1].length)
    assert read_record(tmp_path, shifted).url.endswith("bai-1.html")


def test_empty_data_dir(tmp_path: Path) -> None:
    report = verify(tmp_path, [])
    assert (report.files, report.records, report.problems, report.ok) == (0, 0, [], True)


def test_revisit_whose_capture_is_gone_is_missing(tmp_path: Path) -> None:
    from warc_testing import exchange

    from crawler.archive import Capture, WarcWriter

    with WarcWriter(tmp_path, prefix="a") as first_run:
        original = first_run.write_fetch(exchange(4))
    capture = Capture(exchange(4).url, original.date, original.digest, original.location)
    with WarcWriter(tmp_path, prefix="b") as second_run:
        second_run.write_fetch(exchange(4), revisit_of=capture)
    assert verify(tmp_path).problems == []

    (tmp_path / original.location.file).unlink()
    report = verify(tmp_path)
    (problem,) = report.problems
    assert problem.kind == "missing" and problem.file.startswith("warc/b-")
    assert "revisit of https://baohatinh.vn/thoi-su/bai-4.html" in problem.message
    assert not report.ok
