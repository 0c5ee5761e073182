"""``crawler archive verify``: output and exit status, with and without the database."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from warc_testing import flip_byte, write_sample

from crawler.archive import WarcLocation
from crawler.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def run_verify(
    data: Path, capsys: pytest.CaptureFixture[str], *extra: str, db: Path | None = None
) -> tuple[int, str]:
    database = db or data / "archive.sqlite3"
    status = main(
        [
            "-s",
            f"ARCHIVE_DATA_DIR={data}",
            "-s",
            f"ARCHIVE_DATABASE_URL=sqlite:///{database}",
            "archive",
            "verify",
            *extra,
        ]
    )
    return status, capsys.readouterr().out


def test_good_archive_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_sample(tmp_path, 5, max_bytes=3000)

    status, out = run_verify(tmp_path, capsys)

    assert status == 0
    assert "files: 2 (" in out
    assert "records: 12 (5 responses)" in out
    assert "missing: 0, corrupt: 0, truncated: 0" in out
    assert "database: not checked" in out and "verified the WARC files alone" in out
    assert out.rstrip().endswith("OK")


def test_corrupt_record_exits_1_and_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locations = write_sample(tmp_path, 3)
    flip_byte(tmp_path / locations[1].file, locations[1].offset + 100)

    status, out = run_verify(tmp_path, capsys, "--files-only")

    assert status == 1
    assert "corrupt: 1," in out
    assert f"  corrupt: {locations[1].file}@{locations[1].offset}: " in out
    assert "(--files-only)" in out
    assert out.rstrip().endswith("FAILED")


def test_truncated_tail_fails_only_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locations = write_sample(tmp_path, 3)
    path = tmp_path / locations[0].file
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size - 10)

    status, out = run_verify(tmp_path, capsys, "--files-only")
    assert status == 0
    assert "truncated: 1" in out

    status, out = run_verify(tmp_path, capsys, "--files-only", "--strict")
    assert status == 1
    assert out.rstrip().endswith("FAILED")


def _pages_db(path: Path, rows: list[tuple[str, WarcLocation]]) -> None:
    models = pytest.importorskip("crawler.storage.models")
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    table = models.Page.__table__
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {
                    "url": url,
                    "fetched_at": datetime(2025, 3, 1, tzinfo=UTC),
                    "warc_file": loc.file,
                    "warc_offset": loc.offset,
                    "warc_length": loc.length,
                }
                for url, loc in rows
            ],
        )
    engine.dispose()


def test_database_locations_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locations = write_sample(tmp_path, 3)
    urls = [f"https://baohatinh.vn/thoi-su/bai-{i}.html" for i in range(3)]
    db = tmp_path / "pages.sqlite3"
    _pages_db(db, list(zip(urls, locations, strict=True)))

    status, out = run_verify(tmp_path, capsys, db=db)
    assert status == 0, out
    assert "(3 pages with a WARC location)" in out
    assert "expected responses checked: 3" in out

    bad = WarcLocation(locations[0].file, locations[0].offset + 1, locations[0].length)
    db.unlink()
    _pages_db(db, [*zip(urls, locations, strict=True), (urls[0], bad)])
    status, out = run_verify(tmp_path, capsys, db=db)
    assert status == 1
    assert "missing: 1, corrupt: 0" in out
    assert f"  missing: {bad.file}@{bad.offset} <{urls[0]}>: no record starts at this offset" in out


def test_without_storage_package_files_are_verified_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_sample(tmp_path, 2)
    monkeypatch.setitem(sys.modules, "crawler.storage.models", None)  # import fails

    status, out = run_verify(tmp_path, capsys)

    assert status == 0
    assert "database: not checked, crawler.storage is not importable" in out
