"""RSS and Atom feeds: the entries' links and dates, parsed by feedparser."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry."""

    url: str
    """The entry's link."""

    published: datetime | None
    """Publication (or update) time, aware, when the feed gives one."""


def parse_feed(body: bytes) -> list[FeedEntry]:
    """The entries of an RSS / Atom document (an empty list for anything else)."""
    parsed = feedparser.parse(body)
    entries: list[FeedEntry] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = (
            datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC) if stamp is not None else None
        )
        entries.append(FeedEntry(url=str(link).strip(), published=published))
    return entries
