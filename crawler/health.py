"""Per-outlet numbers and extraction health, for ``crawler stats`` and ``crawler report``.

For every outlet (the registered profiles, plus any other domain found in the database):

* ``articles`` (stories: neither exact nor near duplicates) and ``duplicates``;
* the newest publication time;
* the last finished crawl run of the outlet's spider, its outcome (close reason) and its
  numbers from the run's stats (fetched, new, updated, duplicates, fetch failures);
* articles per day over the last ``days`` local days (Asia/Ho_Chi_Minh), counted twice: by
  publication date (``published``, what analysts want) and by the day the archive first stored
  them (``stored``, what operators want);
* extraction health per run: among the run's *article pages* (page rows with an outcome),
  the share that failed to extract or whose article lacks a body, a title or a publication
  date.

The health rule
---------------
Let ``share`` be the last run's share and ``usual`` the median share of the outlet's previous
:data:`HISTORY` finished runs that had article pages (0 when there are none). The outlet is
**flagged as a probable template change** when the last run had at least :data:`MIN_PAGES`
article pages and ``share >= max(FLOOR, FACTOR * usual + MARGIN)`` — with the defaults,
``share >= max(0.2, 3 * usual + 0.05)``. ``crawler stats`` exits with :data:`EXIT_FLAGGED`
when any outlet is flagged.

The truth rule
--------------
Each outlet also shows what its last run could not do (its ``RunCounts``: pages it could not
fetch or store, URLs it left due) and what the URL ledger still owes: article URLs per state,
those due now and those given up after :data:`~crawler.storage.ledger.MAX_ATTEMPTS` failed
attempts. An outlet is **unclean** when its last run did not end ``finished`` (partial,
failed, interrupted or killed); ``crawler stats`` then exits with :data:`EXIT_UNCLEAN`, which
wins over :data:`EXIT_FLAGGED`. URLs given up are listed as a warning but do not set the exit
status: no run can clear them, and an alert that cannot be cleared is soon ignored.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from crawler.outlets import all_profiles
from crawler.runstatus import RunCounts
from crawler.storage import ledger
from crawler.storage.ledger import MAX_ATTEMPTS
from crawler.storage.tables import ARTICLES, OUTLETS, PAGES, RUNS

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.settings import Settings
    from sqlalchemy import Engine

    from crawler.history import ArchiveHistory

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

HISTORY = 10
"""Previous runs whose median share is an outlet's usual share."""

MIN_PAGES = 5
"""Article pages a run needs before its share can flag the outlet."""

FLOOR = 0.2
FACTOR = 3.0
MARGIN = 0.05

EXIT_FLAGGED = 3
"""Exit status of ``crawler stats`` when an outlet is flagged."""

EXIT_UNCLEAN = 4
"""Exit status of ``crawler stats`` when an outlet's last run was not clean (see "The truth
rule")."""

RECENT_RUNS = 2000
"""How many recent crawl runs are read to find each outlet's history."""

RULE = (
    f"flagged when the last run has >= {MIN_PAGES} article pages and its share without "
    f"body/date/title >= max({FLOOR}, {FACTOR:g} x usual + {MARGIN}), usual = median of the "
    f"previous {HISTORY} runs (0 without history)"
)


@dataclass
class RunHealth:
    """One crawl run of one outlet."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    mode: str | None
    pages: int = 0
    """Article pages (page rows with an extraction outcome)."""
    failed: int = 0
    """Pages whose extraction failed."""
    no_body: int = 0
    no_title: int = 0
    no_date: int = 0
    """Stored pages whose article lacks a body / title / publication date."""
    bad: int = 0
    """Pages failed or lacking any of the three."""
    fetched: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    fetch_failures: int = 0
    """Pages that could not be fetched (after retries), from every discovery path."""
    failures: int = 0
    """Everything the run could not do: fetch failures, storage and archive errors (the
    summary line's ``failed``)."""
    rejected: int = 0
    """Fetched pages that gave no article (kept raw)."""
    pending: int = 0
    """URLs of the run's scope still due when it ended."""

    @property
    def clean(self) -> bool:
        """The run ended ``finished``: everything in scope stored, nothing failed."""
        return self.status == "finished"

    @property
    def share(self) -> float | None:
        """``bad / pages``, or None for a run without article pages."""
        return self.bad / self.pages if self.pages else None


@dataclass
class OutletHealth:
    """The numbers of one outlet."""

    name: str
    domain: str
    articles: int = 0
    duplicates: int = 0
    newest_published: datetime | None = None
    per_day_published: list[int] = field(default_factory=list)
    per_day_stored: list[int] = field(default_factory=list)
    runs: list[RunHealth] = field(default_factory=list)
    """Newest last: the last run and up to :data:`HISTORY` before it."""
    usual_share: float | None = None
    flagged: bool = False
    reason: str = ""
    ledger: dict[str, int] = field(default_factory=dict)
    """Article URLs per ledger state (pending, fetched, stored, failed, gone, done)."""
    due_now: int = 0
    """Article URLs the next crawl would fetch: pending, fetched, or failed and past their
    retry time."""
    given_up: int = 0
    """Article URLs that failed too often to be retried by themselves."""
    unclean: bool = False
    """The last run did not end ``finished`` (see the truth rule)."""
    unclean_reason: str = ""

    @property
    def last_run(self) -> RunHealth | None:
        """The outlet's last finished run."""
        return self.runs[-1] if self.runs else None


@dataclass
class ArchiveHealth:
    """Every outlet's numbers at one moment."""

    generated_at: datetime
    days: list[date]
    outlets: list[OutletHealth]
    rule: str = RULE
    history: ArchiveHistory | None = None
    """The whole history (:mod:`crawler.history`): months, gaps, health over time, storage."""
    consumers: list[dict[str, Any]] = field(default_factory=list)
    """Export consumers (``crawler export --consumer``): last pull, changes waiting."""

    @property
    def flagged(self) -> list[OutletHealth]:
        """The flagged outlets."""
        return [o for o in self.outlets if o.flagged]

    @property
    def unclean(self) -> list[OutletHealth]:
        """The outlets whose last run was not clean."""
        return [o for o in self.outlets if o.unclean]

    @property
    def exit_status(self) -> int:
        """``crawler stats``'s exit status: 4 unclean, 3 flagged, else 0."""
        if self.unclean:
            return EXIT_UNCLEAN
        return EXIT_FLAGGED if self.flagged else 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary (times ISO 8601, local dates)."""
        outlets = []
        for o in self.outlets:
            runs = []
            for r in o.runs:
                run = asdict(r)
                run["share"] = r.share
                runs.append(run)
            data = asdict(o)
            data["runs"] = runs
            data["last_run"] = runs[-1] if runs else None
            data["share"] = o.last_run.share if o.last_run else None
            outlets.append(data)
        result: dict[str, Any] = _jsonable(
            {
                "generated_at": self.generated_at,
                "days": self.days,
                "rule": self.rule,
                "flagged": [o.name for o in self.flagged],
                "unclean": [o.name for o in self.unclean],
                "outlets": outlets,
            }
        )
        result["consumers"] = _jsonable(self.consumers)
        if self.history is not None:
            result["history"] = self.history.to_json()
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(LOCAL).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def threshold(usual: float | None) -> float:
    """The share at or above which a run flags its outlet, given the usual share."""
    return max(FLOOR, FACTOR * (usual or 0.0) + MARGIN)


def judge(outlet: OutletHealth) -> None:
    """Set ``usual_share``, ``flagged`` and ``reason`` from the outlet's runs (the rule)."""
    last = outlet.last_run
    previous = [r.share for r in outlet.runs[:-1] if r.share is not None][-HISTORY:]
    outlet.usual_share = statistics.median(previous) if previous else None
    if last is None or last.share is None:
        return
    limit = threshold(outlet.usual_share)
    if last.pages >= MIN_PAGES and last.share >= limit:
        outlet.flagged = True
        usual = "no history" if outlet.usual_share is None else f"usual {outlet.usual_share:.0%}"
        outlet.reason = (
            f"probable template change: {last.bad} of {last.pages} pages in run "
            f"{last.run_id} without body, date or title ({last.share:.0%}; {usual}; "
            f"limit {limit:.0%})"
        )


def judge_truth(outlet: OutletHealth) -> None:
    """Set ``unclean`` and ``unclean_reason`` from the last run (the truth rule)."""
    last = outlet.last_run
    outlet.unclean = last is not None and not last.clean
    if last is not None and outlet.unclean:
        outlet.unclean_reason = (
            f"last run {last.run_id} ended {last.status}: failed={last.failures} "
            f"pending={last.pending}; {outlet.due_now} URLs due for the next run"
        )


def _stat(stats: dict[str, Any], *keys: str) -> int:
    total = 0
    for key in keys:
        value = stats.get(key)
        if isinstance(value, int | float):
            total += int(value)
    return total


def compute_health(
    engine: Engine,
    *,
    now: datetime | None = None,
    days: int = 28,
    history: bool = False,
    data_dir: Path | None = None,
) -> ArchiveHealth:
    """Every outlet's numbers and health verdict; with ``history`` also the whole history
    (:mod:`crawler.history`; ``data_dir`` holds the WARC files it measures)."""
    from crawler.storage.db import read_connection

    now = (now or datetime.now(UTC)).astimezone(LOCAL)
    today = now.date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    day_index = {d: i for i, d in enumerate(day_list)}
    start = datetime.combine(day_list[0], datetime.min.time(), tzinfo=LOCAL)

    outlets: dict[str, OutletHealth] = {}
    by_spider: dict[str, OutletHealth] = {}
    for profile in all_profiles():
        health = OutletHealth(name=profile.name, domain=profile.domain)
        outlets[profile.domain] = health
        by_spider[profile.name] = health

    a = ARTICLES.c
    archive_history: ArchiveHistory | None = None
    with read_connection(engine) as conn:
        domains = dict(conn.execute(select(OUTLETS.c.id, OUTLETS.c.domain)).all())
        for domain in domains.values():
            if domain not in outlets:
                outlets[domain] = OutletHealth(name=domain, domain=domain)

        is_dup = or_(a.duplicate_of.is_not(None), a.near_duplicate_of.is_not(None))
        counts = conn.execute(
            select(
                a.outlet_id,
                func.sum(case((is_dup, 0), else_=1)),
                func.sum(case((is_dup, 1), else_=0)),
                func.max(a.published_at),
            ).group_by(a.outlet_id)
        )
        for outlet_id, stories, dups, newest in counts:
            domain = domains.get(outlet_id)
            if domain is None:
                continue
            o = outlets[domain]
            o.articles, o.duplicates = int(stories or 0), int(dups or 0)
            o.newest_published = _aware(newest)

        per_pub: dict[str, list[int]] = defaultdict(lambda: [0] * days)
        per_seen: dict[str, list[int]] = defaultdict(lambda: [0] * days)
        for column, target in ((a.published_at, per_pub), (a.first_seen, per_seen)):
            rows = conn.execute(select(a.outlet_id, column).where(column >= start, ~is_dup)).all()
            for outlet_id, when in rows:
                domain = domains.get(outlet_id)
                aware = _aware(when)
                if domain is None or aware is None:
                    continue
                index = day_index.get(aware.astimezone(LOCAL).date())
                if index is not None:
                    target[domain][index] += 1
        for domain, o in outlets.items():
            o.per_day_published = per_pub[domain] if domain in per_pub else [0] * days
            o.per_day_stored = per_seen[domain] if domain in per_seen else [0] * days

        runs_by_outlet: dict[str, list[RunHealth]] = defaultdict(list)
        recent = conn.execute(
            select(
                RUNS.c.id,
                RUNS.c.started_at,
                RUNS.c.finished_at,
                RUNS.c.status,
                RUNS.c.mode,
                RUNS.c.spiders,
                RUNS.c.stats,
            )
            .where(RUNS.c.finished_at.is_not(None))
            .order_by(RUNS.c.started_at.desc(), RUNS.c.id.desc())
            .limit(RECENT_RUNS)
        )
        run_index: dict[int, RunHealth] = {}
        for row in recent:
            stats = row.stats or {}
            for spider in row.spiders or []:
                owner = by_spider.get(spider)
                if owner is None or len(runs_by_outlet[owner.domain]) > HISTORY:
                    continue
                numbers = RunCounts.from_stats(stats)
                run = _run_health(
                    row,
                    now,
                    fetched=numbers.fetched,
                    new=numbers.new,
                    updated=numbers.updated,
                    duplicates=numbers.duplicates,
                    fetch_failures=_stat(stats, "archive/fetch_failed"),
                    failures=numbers.failed,
                    rejected=numbers.rejected,
                    pending=numbers.pending,
                )
                runs_by_outlet[owner.domain].append(run)
                run_index[run.run_id] = run
        _fill_page_health(conn, run_index)

        _fill_ledger(conn, outlets, now)
        for domain, o in outlets.items():
            o.runs = list(reversed(runs_by_outlet.get(domain, [])))
            judge(o)
            judge_truth(o)
        ordered = sorted(outlets.values(), key=lambda o: o.name)
        feeds = _consumers(conn)
        if history:
            from crawler.history import compute_history

            every_run = _all_runs(conn, by_spider, now)
            archive_history = compute_history(
                conn, ordered, domains, every_run, now=now, data_dir=data_dir
            )
    return ArchiveHealth(
        generated_at=now, days=day_list, outlets=ordered, history=archive_history, consumers=feeds
    )


def _consumers(conn: Any) -> list[dict[str, Any]]:
    """Every export consumer: pulls, rows, last pull, newest change read, changes waiting."""
    from crawler.storage import consumers

    return [
        {
            "name": c.name,
            "pulls": c.pulls,
            "rows": c.rows,
            "pulled_at": c.pulled_at,
            "last_change_id": c.last_change_id,
            "pending_changes": consumers.pending(conn, c),
        }
        for c in consumers.all_checkpoints(conn)
    ]


def _run_health(row: Any, now: datetime, **numbers: int) -> RunHealth:
    """A :class:`RunHealth` of a ``crawl_runs`` row (page health filled in later)."""
    return RunHealth(
        run_id=int(row.id),
        started_at=_aware(row.started_at) or now,
        finished_at=_aware(row.finished_at),
        status=str(row.status),
        mode=row.mode,
        **numbers,
    )


def _all_runs(
    conn: Any, by_spider: dict[str, OutletHealth], now: datetime
) -> dict[str, list[RunHealth]]:
    """Every finished crawl run per outlet domain, oldest first, with its page health."""
    runs: dict[str, list[RunHealth]] = defaultdict(list)
    index: dict[int, RunHealth] = {}
    query = (
        select(RUNS.c.id, RUNS.c.started_at, RUNS.c.finished_at, RUNS.c.status, RUNS.c.mode)
        .add_columns(RUNS.c.spiders)
        .where(RUNS.c.finished_at.is_not(None))
        .order_by(RUNS.c.started_at, RUNS.c.id)
    )
    for row in conn.execute(query):
        for spider in row.spiders or []:
            owner = by_spider.get(spider)
            if owner is None:
                continue
            run = _run_health(row, now)
            runs[owner.domain].append(run)
            index[run.run_id] = run
    _fill_page_health(conn, index)
    return runs


def _fill_ledger(conn: Any, outlets: dict[str, OutletHealth], now: datetime) -> None:
    """Article URLs per ledger state, due now and given up, per outlet domain."""
    for domain, counts in ledger.outlet_counts(conn, now).items():
        o = outlets.get(domain)
        if o is None:
            o = outlets[domain] = OutletHealth(name=domain, domain=domain)
        o.ledger, o.due_now, o.given_up = counts.states, counts.due, counts.given_up


def _fill_page_health(conn: Any, runs: dict[int, RunHealth]) -> None:
    if not runs:
        return
    p, a = PAGES.c, ARTICLES.c
    failed = p.outcome == "failed"
    stored = p.outcome != "failed"
    no_body = and_(stored, or_(a.body.is_(None), a.body == ""))
    no_title = and_(stored, or_(a.title.is_(None), a.title == ""))
    no_date = and_(stored, a.published_at.is_(None))
    bad = or_(failed, no_body, no_title, no_date)

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    ids = sorted(runs)
    for start in range(0, len(ids), 500):
        query = (
            select(
                p.run_id,
                func.count(),
                count(failed),
                count(no_body),
                count(no_title),
                count(no_date),
                count(bad),
            )
            .select_from(PAGES.outerjoin(ARTICLES, a.id == p.article_id))
            .where(p.run_id.in_(ids[start : start + 500]), p.outcome.is_not(None))
            .group_by(p.run_id)
        )
        for run_id, pages, n_failed, n_body, n_title, n_date, n_bad in conn.execute(query):
            run = runs[int(run_id)]
            run.pages, run.failed, run.bad = int(pages), int(n_failed or 0), int(n_bad or 0)
            run.no_body, run.no_title, run.no_date = (
                int(n_body or 0),
                int(n_title or 0),
                int(n_date or 0),
            )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _fmt_time(value: datetime | None) -> str:
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if value else "-"


def _fmt_share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"


def format_text(health: ArchiveHealth, weeks: int = 4) -> str:
    """The plain-text report of ``crawler stats``."""
    lines = [
        f"archive health at {_fmt_time(health.generated_at)} (Asia/Ho_Chi_Minh)",
        "",
        f"{'outlet':<14} {'articles':>8} {'dups':>5} {'newest':<16} {'last run':<16} "
        f"{'outcome':<10} {'fetched':>7} {'new':>5} {'upd':>4} {'fail':>4} "
        f"{'health':>6} {'usual':>6}",
    ]
    for o in health.outlets:
        r = o.last_run
        lines.append(
            f"{o.name:<14} {o.articles:>8} {o.duplicates:>5} "
            f"{_fmt_time(o.newest_published):<16} "
            f"{_fmt_time(r.started_at) if r else 'never':<16} "
            f"{(r.status if r else '-')[:10]:<10} "
            f"{r.fetched if r else 0:>7} {r.new if r else 0:>5} {r.updated if r else 0:>4} "
            f"{(r.fetch_failures + r.failed) if r else 0:>4} "
            f"{_fmt_share(r.share if r else None):>6} {_fmt_share(o.usual_share):>6}"
            + ("  FLAGGED" if o.flagged else "")
        )
    days = len(health.days)
    lines += ["", f"articles per day, last {days} days (by publication date; oldest first):"]
    for o in health.outlets:
        weekly = [
            sum(o.per_day_published[i : i + 7]) for i in range(max(0, days - 7 * weeks), days, 7)
        ]
        spark = "".join(_spark(v, max(o.per_day_published or [0])) for v in o.per_day_published)
        lines.append(
            f"{o.name:<14} {spark}  per week: {' '.join(str(w) for w in weekly)}"
            f"  stored per week: "
            + " ".join(
                str(sum(o.per_day_stored[i : i + 7]))
                for i in range(max(0, days - 7 * weeks), days, 7)
            )
        )
    if health.history is not None:
        lines += ["", *_history_lines(health.history)]
    if health.consumers:
        lines += ["", "export consumers:"]
        for c in health.consumers:
            lines.append(
                f"  {c['name']}: {c['pulls']} pulls, {c['rows']} rows, last "
                f"{_fmt_time(c['pulled_at'])}, {c['pending_changes']} changes waiting"
            )
    lines += ["", *_truth_lines(health)]
    lines += ["", f"rule: {health.rule}"]
    for o in health.flagged:
        lines.append(f"FLAGGED {o.name}: {o.reason}")
    if not health.flagged:
        lines.append("no outlet flagged")
    return "\n".join(lines)


def _truth_lines(health: ArchiveHealth) -> list[str]:
    """What each outlet's last run missed and what the URL ledger still owes."""
    lines = [
        "what was missed (last run; URL ledger of article URLs):",
        f"{'outlet':<14} {'status':<11} {'failed':>6} {'pending':>7} {'rejected':>8}   "
        f"{'stored':>7} {'due now':>7} {'waiting':>7} {'gone':>5} {'given up':>8}",
    ]
    for o in health.outlets:
        r = o.last_run
        waiting = o.ledger.get("failed", 0) - o.given_up
        lines.append(
            f"{o.name:<14} {(r.status if r else 'never')[:11]:<11} "
            f"{r.failures if r else 0:>6} {r.pending if r else 0:>7} {r.rejected if r else 0:>8}   "
            f"{o.ledger.get('stored', 0):>7} {o.due_now:>7} {max(0, waiting):>7} "
            f"{o.ledger.get('gone', 0):>5} {o.given_up:>8}"
        )
    for o in health.unclean:
        lines.append(f"UNCLEAN {o.name}: {o.unclean_reason}")
    for o in health.outlets:
        if o.given_up:
            lines.append(
                f"WARNING {o.name}: {o.given_up} URLs given up after {MAX_ATTEMPTS} failed "
                "attempts (url_ledger state 'failed', no next attempt)"
            )
    if not health.unclean:
        lines.append("every outlet's last run ended clean")
    return lines


def _history_lines(history: ArchiveHistory) -> list[str]:
    """The text summary of the whole history (``crawler stats``)."""
    lines = ["articles per month, last 12 months (stories, by local publication month):"]
    for o in history.outlets:
        if o.months:
            recent = " ".join(str(n) for n in o.per_month[-12:])
            lines.append(
                f"{o.name:<14} {o.months[max(0, len(o.months) - 12)]}..{o.months[-1]}: {recent}"
                f"  (total {sum(o.per_month)} since {o.months[0]})"
            )
    gaps = [(o, g) for o in history.outlets for g in o.gaps]
    lines += ["", f"coverage gaps: {len(gaps)}" + ("" if gaps else " (none)")]
    for o, g in gaps:
        lines.append(
            f"  GAP {o.name}: {g.start.isoformat()} .. {g.end.isoformat()} ({len(g.days)} days: "
            + ", ".join(d.isoformat() for d in g.days)
            + ")"
        )
    changes = [(o, t) for o in history.outlets for t in o.template_changes]
    lines += ["", f"template changes flagged over the whole history: {len(changes)}"]
    for o, t in changes:
        lines.append(
            f"  {o.name}: run {t.run_id} at {_fmt_time(t.started_at)} ({t.bad}/{t.pages} bad)"
        )
    s = history.storage
    mib = 1024 * 1024
    db = "?" if s.database_bytes is None else f"{s.database_bytes / mib:.1f} MiB"
    lines += [
        "",
        f"storage: database {db} ({s.backend}), WARC {s.warc_bytes / mib:.1f} MiB in "
        f"{s.warc_files} files",
    ]
    for month in s.growth[-3:]:
        lines.append(
            f"  {month.month}: +{month.articles} articles, +{month.pages} pages, "
            f"+{month.warc_bytes / mib:.1f} MiB WARC"
        )
    return lines


_BARS = " ▁▂▃▄▅▆▇█"


def _spark(value: int, top: int) -> str:
    if top <= 0 or value <= 0:
        return _BARS[0] if value <= 0 else _BARS[1]
    return _BARS[max(1, round(value / top * (len(_BARS) - 1)))]


def health_from_settings(settings: Settings, days: int, *, history: bool = True) -> ArchiveHealth:
    """:func:`compute_health` on the database the settings name (engine disposed after),
    with the whole history unless ``history`` is False."""
    from crawler.config import data_dir
    from crawler.storage.db import engine_from_settings

    engine = engine_from_settings(settings)
    try:
        return compute_health(
            engine, days=max(1, days), history=history, data_dir=data_dir(settings)
        )
    finally:
        engine.dispose()
