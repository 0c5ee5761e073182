"""The archive over its whole history, for ``crawler stats`` and ``crawler report``.

* **Articles per month per outlet** — stories (neither exact nor near duplicates) by the local
  month of ``published_at``, over every month from the outlet's first article to now.
* **Coverage gaps** — days on which an outlet that usually publishes daily has no article
  (a missed crawl, or a template change that made its pages fail). See :func:`find_gaps`.
* **Extraction health over time** — per outlet and month, the share of article pages that
  failed or lack a body, title or date (the :mod:`crawler.health` share, every crawl run of
  the outlet since the first); every run is judged against the runs before it with the same
  rule as ``crawler stats`` uses for the last one, and the runs it flags are listed as
  probable template changes. Profile changes (a new ``extractor_version`` first producing
  articles) are listed beside them: a template change followed by a profile fix is the
  usual story.
* **Storage** — database size (SQLite: file + WAL, per table from ``dbstat``; PostgreSQL:
  ``pg_total_relation_size`` of the archive's tables), the WARC files under
  ``ARCHIVE_DATA_DIR/warc``, and growth per month: articles first stored, pages fetched and
  WARC bytes written (the database does not keep its own past sizes).

"Day" and "month" are local to Asia/Ho_Chi_Minh (UTC+7, no daylight saving since 1975), for
publication and storage times alike.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, cast, func, or_, select, text
from sqlalchemy.exc import OperationalError

from crawler.storage.tables import ARTICLES, PAGES, RUNS, VERSIONS

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.sql import ColumnElement

    from crawler.health import OutletHealth, RunHealth

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

CONTEXT_DAYS = 28
"""Days before a run of empty days that say whether the outlet usually publishes daily."""

DAILY_SHARE = 0.8
"""An outlet publishes daily around a run of empty days when at least this share of the
context days have an article."""

WEEKDAY_SHARE = 0.75
"""...and a day of the run is a gap only when its weekday has articles on at least this share
of the same weekdays in the context (an outlet that skips Sundays has no Sunday gaps)."""

MIN_CONTEXT = 14
"""Known days before a run needed to judge it at all (the archive's first days are not)."""

RULES = {
    "gap": (
        f"a day without any article is a gap when the outlet had articles on >= "
        f"{DAILY_SHARE:.0%} of the {CONTEXT_DAYS} days before the run of empty days "
        f"(>= {MIN_CONTEXT} known days) and on >= {WEEKDAY_SHARE:.0%} of the same weekdays "
        "there; days are local (Asia/Ho_Chi_Minh), today excluded"
    ),
    "month": "local month (Asia/Ho_Chi_Minh) of published_at; stories only",
    "template_change": "a run flagged by the health rule against the runs before it",
}


@dataclass
class Gap:
    """A run of consecutive gap days of one outlet."""

    start: date
    end: date
    days: list[date]
    context_share: float
    """Share of the days before the run that had articles."""


@dataclass
class HealthMonth:
    """Extraction health of one outlet's crawl runs started in one local month."""

    month: str
    runs: int
    pages: int
    bad: int
    share: float | None
    flagged_runs: int


@dataclass
class TemplateChange:
    """A crawl run flagged as a probable template change."""

    run_id: int
    started_at: datetime
    pages: int
    bad: int
    share: float
    usual_share: float | None


@dataclass
class ProfileChange:
    """An extractor/profile version's first article for an outlet."""

    extractor_version: str
    first_used: datetime


@dataclass
class OutletHistory:
    """One outlet's history."""

    name: str
    domain: str
    first_published: date | None = None
    last_published: date | None = None
    months: list[str] = field(default_factory=list)
    per_month: list[int] = field(default_factory=list)
    """Stories per month, aligned with ``months``."""
    days_with_articles: int = 0
    gaps: list[Gap] = field(default_factory=list)
    health: list[HealthMonth] = field(default_factory=list)
    template_changes: list[TemplateChange] = field(default_factory=list)
    profile_changes: list[ProfileChange] = field(default_factory=list)

    @property
    def gap_days(self) -> int:
        """Gap days in all."""
        return sum(len(g.days) for g in self.gaps)


@dataclass
class GrowthMonth:
    """What the archive added in one local month."""

    month: str
    articles: int
    pages: int
    warc_bytes: int


@dataclass
class Storage:
    """Sizes now, and growth per month."""

    backend: str
    database_bytes: int | None
    tables: dict[str, int]
    warc_files: int
    warc_bytes: int
    growth: list[GrowthMonth]


@dataclass
class ArchiveHistory:
    """The whole-history numbers of every outlet, and the storage."""

    outlets: list[OutletHistory]
    storage: Storage
    rules: dict[str, str] = field(default_factory=lambda: dict(RULES))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary (dates ISO, times ISO with +07:00)."""
        from crawler.health import _jsonable

        outlets = []
        for o in self.outlets:
            data = asdict(o)
            data["gap_days"] = o.gap_days
            outlets.append(data)
        result: dict[str, Any] = _jsonable(
            {"rules": self.rules, "outlets": outlets, "storage": asdict(self.storage)}
        )
        return result


# --- SQL helpers (the local day and month of a stored time) ----------------------------------


def local_day(conn: Connection, column: Any) -> ColumnElement[Any]:
    """The local (Asia/Ho_Chi_Minh) date of a stored UTC time, in SQL."""
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("Asia/Ho_Chi_Minh", column), Date)
    return func.date(column, "+7 hours")


def local_month(conn: Connection, column: Any) -> ColumnElement[Any]:
    """The local month ``YYYY-MM`` of a stored UTC time, in SQL."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Ho_Chi_Minh", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def months_between(first: date, last: date) -> list[str]:
    """Every ``YYYY-MM`` from ``first``'s month to ``last``'s."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# --- gaps ------------------------------------------------------------------------------------


def find_gaps(days: dict[date, int], first: date, last: date) -> list[Gap]:
    """The gaps in an outlet's article counts per local day, between ``first`` and ``last``.

    Every run of consecutive days without an article is judged on its *context*: the
    :data:`CONTEXT_DAYS` days before it (at least :data:`MIN_CONTEXT` of them known). When
    the outlet had articles on at least :data:`DAILY_SHARE` of them, it usually publishes
    daily, and each day of the run whose weekday had articles on at least
    :data:`WEEKDAY_SHARE` of the same weekdays in the context is a gap. Only the days before
    count: an outlet that stopped appearing (a run up to ``last``) is the case that matters
    most, and an outlet that only *started* publishing daily after quiet years has no gap
    before its start.
    """
    gaps: list[Gap] = []
    day = first
    while day <= last:
        if days.get(day, 0) > 0:
            day += timedelta(days=1)
            continue
        start = day
        while day <= last and days.get(day, 0) == 0:
            day += timedelta(days=1)
        end = day - timedelta(days=1)
        context = [
            start - timedelta(days=i)
            for i in range(1, CONTEXT_DAYS + 1)
            if start - timedelta(days=i) >= first
        ]
        if len(context) < MIN_CONTEXT:
            continue
        share = sum(1 for d in context if days.get(d, 0) > 0) / len(context)
        if share < DAILY_SHARE:
            continue
        run_days = []
        current = start
        while current <= end:
            same = [d for d in context if d.weekday() == current.weekday()]
            usual = sum(1 for d in same if days.get(d, 0) > 0) / len(same) if same else 1.0
            if usual >= WEEKDAY_SHARE:
                run_days.append(current)
            current += timedelta(days=1)
        if run_days:
            gaps.append(Gap(run_days[0], run_days[-1], run_days, round(share, 3)))
    return gaps


# --- computing -------------------------------------------------------------------------------


def compute_history(
    conn: Connection,
    outlets: list[OutletHealth],
    domains: dict[int, str],
    runs: dict[str, list[RunHealth]],
    *,
    now: datetime,
    data_dir: Path | None,
) -> ArchiveHistory:
    """The history of every outlet (``outlets`` from :func:`crawler.health.compute_health`,
    ``runs`` every finished run per outlet domain, oldest first, their page health filled)."""
    from crawler.health import HISTORY, MIN_PAGES, threshold

    today = now.astimezone(LOCAL).date()
    a = ARTICLES.c
    is_dup = or_(a.duplicate_of.is_not(None), a.near_duplicate_of.is_not(None))
    day = local_day(conn, a.published_at)
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    stories: dict[str, dict[date, int]] = defaultdict(dict)
    query = (
        select(a.outlet_id, day, func.count(), func.sum(case((is_dup, 0), else_=1)))
        .where(a.published_at.is_not(None))
        .group_by(a.outlet_id, day)
    )
    for outlet_id, d, n, n_stories in conn.execute(query):
        domain = domains.get(outlet_id)
        if domain is None or d is None:
            continue
        per_day[domain][_as_date(d)] = int(n)
        stories[domain][_as_date(d)] = int(n_stories or 0)

    versions: dict[str, list[ProfileChange]] = defaultdict(list)
    first_use = (
        select(a.outlet_id, VERSIONS.c.extractor_version, func.min(VERSIONS.c.created_at))
        .select_from(VERSIONS.join(ARTICLES, a.id == VERSIONS.c.article_id))
        .where(VERSIONS.c.extractor_version.is_not(None))
        .group_by(a.outlet_id, VERSIONS.c.extractor_version)
    )
    for outlet_id, version, first in conn.execute(first_use):
        domain = domains.get(outlet_id)
        if domain is not None and first is not None:
            versions[domain].append(ProfileChange(str(version), _aware(first)))

    histories = []
    for o in outlets:
        h = OutletHistory(name=o.name, domain=o.domain)
        counts = per_day.get(o.domain, {})
        if counts:
            h.first_published, h.last_published = min(counts), max(counts)
            h.months = months_between(h.first_published, max(h.last_published, today))
            monthly: dict[str, int] = defaultdict(int)
            for d, n in stories.get(o.domain, {}).items():
                monthly[f"{d.year:04d}-{d.month:02d}"] += n
            h.per_month = [monthly.get(m, 0) for m in h.months]
            h.days_with_articles = sum(1 for n in counts.values() if n > 0)
            last_complete = today - timedelta(days=1)
            if last_complete >= h.first_published:
                h.gaps = find_gaps(counts, h.first_published, last_complete)
        _health_history(h, runs.get(o.domain, []), HISTORY, MIN_PAGES, threshold)
        h.profile_changes = sorted(versions.get(o.domain, []), key=lambda p: p.first_used)
        histories.append(h)
    return ArchiveHistory(outlets=histories, storage=storage(conn, data_dir))


def _health_history(
    h: OutletHistory, runs: list[RunHealth], history: int, min_pages: int, threshold: Any
) -> None:
    """Monthly health and the flagged runs, each run judged against the runs before it."""
    by_month: dict[str, HealthMonth] = {}
    previous: list[float] = []
    for run in runs:
        if not run.pages:
            continue
        month = run.started_at.astimezone(LOCAL).strftime("%Y-%m")
        entry = by_month.setdefault(month, HealthMonth(month, 0, 0, 0, None, 0))
        entry.runs += 1
        entry.pages += run.pages
        entry.bad += run.bad
        share = run.share or 0.0
        usual = statistics.median(previous[-history:]) if previous else None
        if run.pages >= min_pages and share >= threshold(usual):
            entry.flagged_runs += 1
            h.template_changes.append(
                TemplateChange(run.run_id, run.started_at, run.pages, run.bad, share, usual)
            )
        previous.append(share)
    for entry in by_month.values():
        entry.share = entry.bad / entry.pages if entry.pages else None
    h.health = [by_month[m] for m in sorted(by_month)]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def storage(conn: Connection, data_dir: Path | None) -> Storage:
    """Sizes and monthly growth (see the module docstring)."""
    backend = conn.dialect.name
    tables: dict[str, int] = {}
    database_bytes: int | None = None
    if backend == "postgresql":
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        )
        tables = {str(name): int(size) for name, size in rows}
        database_bytes = sum(tables.values())
    else:
        path = conn.engine.url.database
        if path and path != ":memory:":
            files = [Path(path), Path(f"{path}-wal")]
            database_bytes = sum(f.stat().st_size for f in files if f.exists())
        try:
            rows = conn.execute(
                text(
                    "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                    "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
                )
            )
            tables = {str(name): int(size) for name, size in rows}
        except OperationalError:  # SQLite built without the dbstat table
            tables = {}
    warc_files, warc_bytes = 0, 0
    if data_dir is not None and (data_dir / "warc").is_dir():
        for f in (data_dir / "warc").rglob("*"):
            if f.is_file():
                warc_files += 1
                warc_bytes += f.stat().st_size
    a, p = ARTICLES.c, PAGES.c
    growth: dict[str, GrowthMonth] = {}
    month = local_month(conn, a.first_seen)
    for m, n in conn.execute(select(month, func.count()).group_by(month)):
        growth.setdefault(str(m), GrowthMonth(str(m), 0, 0, 0)).articles = int(n)
    month = local_month(conn, p.fetched_at)
    # Re-extraction adds page rows pointing at WARC records already counted.
    reextract = select(RUNS.c.id).where(RUNS.c.mode == "reextract")
    query = (
        select(month, func.count(), func.coalesce(func.sum(p.warc_length), 0))
        .where(or_(p.run_id.is_(None), p.run_id.not_in(reextract)))
        .group_by(month)
    )
    for m, n, size in conn.execute(query):
        entry = growth.setdefault(str(m), GrowthMonth(str(m), 0, 0, 0))
        entry.pages, entry.warc_bytes = int(n), int(size)
    return Storage(
        backend=backend,
        database_bytes=database_bytes,
        tables=dict(sorted(tables.items(), key=lambda kv: -kv[1])),
        warc_files=warc_files,
        warc_bytes=warc_bytes,
        growth=[growth[m] for m in sorted(growth)],
    )
