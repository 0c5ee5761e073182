"""Publication dates: parsing the formats the outlets print and choosing the most precise.

Dates come as JSON-LD, ``article:published_time`` and visible text ("Thứ Hai, ngày 06/12/2021
| 08:09", "09:15 21/11/2024", "25/01/2026 07:06", "08/01/2026 - 18:21"). A local time without
an offset is the outlet's local time (Asia/Ho_Chi_Minh for the Vietnamese outlets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from enum import IntEnum
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class Precision(IntEnum):
    """How much of an instant a date string gives."""

    DAY = 1
    MINUTE = 2
    SECOND = 3


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date with the precision the source gave."""

    value: datetime
    """Timezone-aware; midnight local time when only the day is known."""

    precision: Precision
    """DAY for a bare date, MINUTE or SECOND when the source gave a time of day."""

    def isoformat(self) -> str:
        """ISO 8601: a bare date ("2026-01-08") or a time with offset."""
        if self.precision is Precision.DAY:
            return self.value.date().isoformat()
        # Always print seconds so every stored timestamp has the same shape.
        return self.value.isoformat(timespec="seconds")


_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_HM = re.compile(r"(?<![\d/.])(\d{1,2})\s*[:hg]\s*(\d{2})(?:\s*:\s*(\d{2}))?(?![\d/])")


def _offset(text: str) -> tzinfo:
    from datetime import timedelta, timezone

    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def parse_iso(text: str, local: tzinfo = VIETNAM) -> ParsedDate | None:
    """An ISO 8601 date or date-time; a naive time is taken as ``local``."""
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        day_value = date(int(year), int(month), int(day))
        if hour is None:
            return ParsedDate(datetime.combine(day_value, time(), local), Precision.DAY)
        clock = time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    tz = _offset(zone) if zone else local
    precision = Precision.SECOND if second is not None and second != "00" else Precision.MINUTE
    return ParsedDate(datetime.combine(day_value, clock, tz), precision)


def parse_visible(text: str, local: tzinfo = VIETNAM) -> ParsedDate | None:
    """A date printed on the page: day/month/year with an optional hh:mm before or after."""
    date_match = _DMY.search(text)
    if not date_match:
        return None
    day, month, year = (int(g) for g in date_match.groups())
    try:
        day_value = date(year, month, day)
    except ValueError:
        return None
    rest = text[: date_match.start()] + " " + text[date_match.end() :]
    time_match = _HM.search(rest)
    if time_match:
        hour, minute, second = time_match.groups()
        try:
            clock = time(int(hour), int(minute), int(second or 0))
        except ValueError:
            clock = None
        if clock is not None:
            precision = Precision.SECOND if second else Precision.MINUTE
            return ParsedDate(datetime.combine(day_value, clock, local), precision)
    return ParsedDate(datetime.combine(day_value, time(), local), Precision.DAY)


def parse_any(text: str | None, local: tzinfo = VIETNAM) -> ParsedDate | None:
    """ISO 8601 first, then the visible formats."""
    if not text:
        return None
    return parse_iso(text, local) or parse_visible(text, local)


def most_precise(candidates: list[ParsedDate | None]) -> ParsedDate | None:
    """The most precise candidate; earlier candidates win ties (callers list sources by trust).

    A more precise candidate only replaces a less precise one when both name the same local
    day, so a wrong visible date (a "related" box, say) cannot override the page's own."""
    best: ParsedDate | None = None
    for candidate in candidates:
        if candidate is None:
            continue
        if best is None:
            best = candidate
            continue
        if candidate.precision > best.precision and _same_day(candidate, best):
            best = candidate
    return best


def _same_day(a: ParsedDate, b: ParsedDate) -> bool:
    if a.precision is Precision.DAY or b.precision is Precision.DAY:
        day_a = (
            a.value.date()
            if a.precision is Precision.DAY
            else a.value.astimezone(b.value.tzinfo).date()
        )
        day_b = (
            b.value.date()
            if b.precision is Precision.DAY
            else b.value.astimezone(a.value.tzinfo).date()
        )
        return day_a == day_b
    return abs((a.value - b.value).total_seconds()) < 86400
