from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extraction.dates import (
    VIETNAM,
    Precision,
    most_precise,
    parse_any,
    parse_iso,
    parse_visible,
)


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("Thứ Hai, ngày 06/12/2021 | 08:09", "2021-12-06T08:09:00+07:00", Precision.MINUTE),
        ("09:15 21/11/2024", "2024-11-21T09:15:00+07:00", Precision.MINUTE),
        ("25/01/2026 07:06", "2026-01-25T07:06:00+07:00", Precision.MINUTE),
        ("08/01/2026 - 18:21", "2026-01-08T18:21:00+07:00", Precision.MINUTE),
        ("Thứ Năm, 02/07/2020 - 10:15:42", "2020-07-02T10:15:42+07:00", Precision.SECOND),
        ("30.9.2019", "2019-09-30", Precision.DAY),
        ("Cập nhật 7g30 ngày 3/4/2023", "2023-04-03T07:30:00+07:00", Precision.MINUTE),
    ],
)
def test_visible_vietnamese_formats(text: str, expected: str, precision: Precision) -> None:
    parsed = parse_visible(text)
    assert parsed is not None
    assert parsed.isoformat() == expected
    assert parsed.precision is precision


def test_iso_keeps_offset_and_localises_naive_times() -> None:
    aware = parse_iso("2024-05-20T03:15:00Z")
    naive = parse_iso("2024-05-20T10:15:00")
    assert aware is not None and naive is not None
    assert aware.value == naive.value  # the same instant
    assert naive.isoformat() == "2024-05-20T10:15:00+07:00"
    assert aware.value.utcoffset() == datetime(2024, 1, 1, tzinfo=UTC).utcoffset()


def test_date_only_stays_a_date() -> None:
    parsed = parse_any("2026-01-08")
    assert parsed is not None and parsed.precision is Precision.DAY
    assert parsed.isoformat() == "2026-01-08"


def test_invalid_dates_are_rejected() -> None:
    assert parse_any("31/02/2024") is None
    assert parse_any("không có ngày") is None
    assert parse_any("") is None


def test_most_precise_prefers_time_on_the_same_day_only() -> None:
    day = parse_any("2026-01-08")
    visible = parse_any("08/01/2026 - 18:21")
    other_day = parse_any("09:00 03/01/2026")
    assert most_precise([day, visible]) == visible
    # A time on another day (a related article's date) does not replace the page's own day.
    assert most_precise([day, other_day]) == day
    assert most_precise([None, None]) is None
    assert visible is not None and visible.value.tzinfo is VIETNAM
