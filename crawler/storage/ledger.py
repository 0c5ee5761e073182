"""The URL ledger: every URL the crawls discovered and what became of it.

Writes (all through the storage writer, in the same transactions as the articles):

* :func:`record_discovered` — a sitemap, feed or listing named a URL: a ``pending`` row, or
  ``last_seen``/``lastmod`` moved on a known one (a listing page to walk becomes ``pending``
  again);
* :func:`mark_fetched` — a response arrived for it: ``fetched`` (not stored yet), or ``gone``
  for a permanent redirect (the target is kept under its own URL);
* :func:`mark_stored` — its article was committed: ``stored``, attempts reset;
* :func:`mark_failed` — no usable response or no article: ``failed`` with the reason, one more
  attempt and the time it is due again (:func:`retry_delay`), or ``gone`` for good;
* :func:`mark_deferred` — fetched but deliberately not stored (outside a backfill's range):
  ``pending`` again, with its real publication time;
* :func:`mark_visited` — a sitemap or listing page read to the end: ``done`` (with the
  sitemap's ``lastmod``, so an unchanged sitemap is not read again).

A state never moves backwards from ``stored`` through a failure: an article we have stays
``stored`` when a later refetch fails. Reads: :func:`lookup` (states of candidate URLs),
:func:`due` (what a crawl must fetch before discovering anything) and :func:`state_counts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, bindparam, case, func, null, or_, select, update

from crawler.storage.tables import LEDGER, insert_for, storable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from sqlalchemy import Connection

    from crawler.storage.records import Deferred, Discovered, FetchFailure, Visited

STATES = ("pending", "fetched", "stored", "failed", "gone", "done")
"""Ledger states: ``done`` is for sitemaps and listing pages read to the end."""

NOT_DONE = ("pending", "fetched", "failed")
"""States of a URL the archive still wants."""

RETRY_BASE = timedelta(minutes=30)
"""Wait before the first retry of a failed URL; multiplied by :data:`RETRY_FACTOR` per
further failure, up to :data:`RETRY_MAX`."""

RETRY_FACTOR = 4
RETRY_MAX = timedelta(days=7)

MAX_ATTEMPTS = 8
"""Failed attempts after which a URL is no longer retried (it stays ``failed``, reported by
``crawler stats``; ``crawler crawl --refresh`` or a rediscovery with a new ``lastmod`` does
not revive it: only a changed page would, and that is a new URL or a new lastmod)."""

LOOKUP_CHUNK = 500
"""URLs per ``IN (…)`` query (well under SQLite's variable limit)."""


def retry_delay(attempts: int, base: timedelta = RETRY_BASE) -> timedelta | None:
    """How long after its ``attempts``-th failure a URL is due again; None: not retried."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay: timedelta = base * RETRY_FACTOR ** max(0, attempts - 1)
    return min(RETRY_MAX, delay)


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger knows of one URL."""

    url: str
    kind: str
    state: str
    stored_at: datetime | None
    lastmod: datetime | None
    next_attempt_at: datetime | None
    published_hint: datetime | None

    def wanted(self, now: datetime) -> bool:
        """Whether the archive still wants this URL now (not stored, not gone, due)."""
        if self.state in ("pending", "fetched"):
            return True
        return self.state == "failed" and (
            self.next_attempt_at is not None and self.next_attempt_at <= now
        )


def _row(
    entry: Discovered | Visited, state: str, run_id: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "url": entry.url,
        "outlet": entry.outlet,
        "kind": entry.kind,
        "state": state,
        "found_via": getattr(entry, "via", None),
        "found_on": getattr(entry, "found_on", None),
        "first_seen": now,
        "last_seen": now,
        "lastmod": storable(entry.lastmod),
        "published_hint": storable(getattr(entry, "published_hint", None)),
        "attempts": 0,
        "run_id": run_id,
    }


def _upsert(
    conn: Connection, rows: Iterable[dict[str, Any]], updates: Callable[[Any], dict[str, Any]]
) -> None:
    """Insert ``rows``; a URL already in the ledger gets ``updates(excluded)`` instead, where
    ``excluded`` names the row that was to be inserted (the dialect's ON CONFLICT)."""
    stmt: Any = insert_for(conn.dialect.name, LEDGER)
    stmt = stmt.on_conflict_do_update(index_elements=["url"], set_=updates(stmt.excluded))
    conn.execute(stmt, list(rows))


def _state_in(states: Sequence[str]) -> Any:
    """``state IN (…)`` as plain comparisons: usable in ``executemany`` statements, where
    SQLAlchemy's expanding ``IN`` parameters are not."""
    return or_(*(LEDGER.c.state == state for state in states))


def _newer(old: Any, new: Any) -> Any:
    """``new`` when it is set and later than ``old`` (portable: no GREATEST on SQLite)."""
    return case((new.is_(None), old), (old.is_(None), new), (new > old, new), else_=old)


def record_discovered(
    conn: Connection, entries: Sequence[Discovered], run_id: int | None, now: datetime
) -> None:
    """Insert newly discovered URLs as ``pending``; refresh what a source says of known ones."""
    if not entries:
        return
    merged: dict[str, dict[str, Any]] = {}
    for entry in entries:
        row = _row(entry, "pending", run_id, now)
        old = merged.get(entry.url)
        if old is not None:  # the same URL twice in a batch: one row, the newest lastmod
            if row["lastmod"] is None or (old["lastmod"] and old["lastmod"] >= row["lastmod"]):
                row["lastmod"] = old["lastmod"]
            row["published_hint"] = old["published_hint"] or row["published_hint"]
        merged[entry.url] = row
    _upsert(
        conn,
        merged.values(),
        lambda excluded: {
            "last_seen": excluded.last_seen,
            "lastmod": _newer(LEDGER.c.lastmod, excluded.lastmod),
            "published_hint": func.coalesce(LEDGER.c.published_hint, excluded.published_hint),
            # A listing page is walked again whenever a source leads to it again.
            "state": case(
                ((LEDGER.c.kind == "listing") & (LEDGER.c.state == "done"), "pending"),
                else_=LEDGER.c.state,
            ),
        },
    )


def mark_visited(
    conn: Connection, entries: Sequence[Visited], run_id: int | None, now: datetime
) -> None:
    """Sitemaps and listing pages read to the end: ``done``, with the sitemap's lastmod."""
    if not entries:
        return
    rows = {e.url: _row(e, "done", run_id, now) for e in entries}
    _upsert(
        conn,
        rows.values(),
        lambda excluded: {
            "state": "done",
            "last_seen": excluded.last_seen,
            "lastmod": _newer(LEDGER.c.lastmod, excluded.lastmod),
            "run_id": excluded.run_id,
        },
    )


_MOVED = or_(bindparam("status") == 301, bindparam("status") == 308)

_FETCHED = (
    update(LEDGER)
    .where(LEDGER.c.url == bindparam("u"), _state_in(NOT_DONE))
    .values(
        # A permanent redirect: the content lives on under the target's own URL, which is
        # stored (and marks this one stored too) or failed (and marks it failed) later.
        state=case((_MOVED, "gone"), else_="fetched"),
        reason=case((_MOVED, "moved permanently"), else_=LEDGER.c.reason),
        last_attempt_at=bindparam("now"),
        last_status=bindparam("status"),
        run_id=bindparam("run"),
    )
)


def mark_fetched(
    conn: Connection, fetched: Iterable[tuple[str, int | None]], run_id: int | None, now: datetime
) -> None:
    """A response arrived for these ``(url, status)``: ``fetched`` unless already settled."""
    params = [{"u": url, "status": status, "now": now, "run": run_id} for url, status in fetched]
    if params:
        conn.execute(_FETCHED, params)


def mark_stored(
    conn: Connection,
    stored: Sequence[tuple[str, str, int | None, datetime | None]],
    run_id: int | None,
    now: datetime,
) -> None:
    """``(url, outlet, article_id, published_at)`` gave a committed article: ``stored``.

    Upserted, so an article stored through a path that discovered nothing (a tool, a test,
    a redirect target) is in the ledger too."""
    if not stored:
        return
    rows: dict[str, dict[str, Any]] = {}
    for url, outlet, article_id, published in stored:
        rows[url] = {
            "url": url,
            "outlet": outlet,
            "kind": "article",
            "state": "stored",
            "found_via": "stored",
            "found_on": None,
            "first_seen": now,
            "last_seen": now,
            "lastmod": None,
            "published_hint": storable(published),
            "attempts": 0,
            "stored_at": now,
            "article_id": article_id,
            "run_id": run_id,
        }
    _upsert(
        conn,
        rows.values(),
        lambda excluded: {
            "state": "stored",
            "stored_at": excluded.stored_at,
            "article_id": func.coalesce(excluded.article_id, LEDGER.c.article_id),
            "published_hint": func.coalesce(excluded.published_hint, LEDGER.c.published_hint),
            "attempts": 0,
            "next_attempt_at": None,
            "reason": None,
            "run_id": excluded.run_id,
        },
    )


def mark_failed(
    conn: Connection,
    failures: Sequence[FetchFailure],
    run_id: int | None,
    now: datetime,
    base: timedelta = RETRY_BASE,
) -> None:
    """Record failed attempts: ``failed`` (due again after :func:`retry_delay`) or ``gone``.

    Only URLs already in the ledger are touched (a failed sitemap or feed is read again by
    the next crawl anyway); a ``stored`` URL stays stored, with the failure noted."""
    if not failures:
        return
    attempts = dict(
        conn.execute(
            select(LEDGER.c.url, LEDGER.c.attempts).where(
                LEDGER.c.url.in_(sorted({f.url for f in failures}))
            )
        ).all()
    )
    params: list[dict[str, Any]] = []
    for failure in failures:
        if failure.url not in attempts:
            continue
        tries = int(attempts[failure.url]) + 1
        attempts[failure.url] = tries
        delay = None if failure.gone else retry_delay(tries, base)
        params.append(
            {
                "u": failure.url,
                "new_state": "gone" if failure.gone else "failed",
                "tries": tries,
                "now": now,
                "due": now + delay if delay is not None else None,
                "status": failure.status,
                "why": failure.reason[:2000],
                "run": run_id,
            }
        )
    if params:
        settled = _state_in(("stored", "done"))
        conn.execute(
            update(LEDGER)
            .where(LEDGER.c.url == bindparam("u"))
            .values(
                state=case((settled, LEDGER.c.state), else_=bindparam("new_state", type_=String)),
                attempts=bindparam("tries"),
                last_attempt_at=bindparam("now"),
                next_attempt_at=case(
                    (settled, null()), else_=bindparam("due", type_=LEDGER.c.next_attempt_at.type)
                ),
                last_status=bindparam("status"),
                reason=bindparam("why"),
                run_id=bindparam("run"),
            ),
            params,
        )


def mark_deferred(
    conn: Connection, deferred: Sequence[Deferred], run_id: int | None, now: datetime
) -> None:
    """Fetched but not stored on purpose: ``pending`` again, with the page's own date."""
    params = [
        {"u": d.url, "why": d.reason[:2000], "hint": storable(d.published_hint), "run": run_id}
        for d in deferred
    ]
    if params:
        conn.execute(
            update(LEDGER)
            .where(LEDGER.c.url == bindparam("u"), _state_in(NOT_DONE))
            .values(
                state="pending",
                reason=bindparam("why"),
                published_hint=func.coalesce(bindparam("hint"), LEDGER.c.published_hint),
                run_id=bindparam("run"),
            ),
            params,
        )


# --- reads --------------------------------------------------------------------------------------


def lookup(conn: Connection, urls: Iterable[str]) -> dict[str, LedgerEntry]:
    """What the ledger knows of each of ``urls`` (absent: never seen)."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, LedgerEntry] = {}
    columns = (
        LEDGER.c.url,
        LEDGER.c.kind,
        LEDGER.c.state,
        LEDGER.c.stored_at,
        LEDGER.c.lastmod,
        LEDGER.c.next_attempt_at,
        LEDGER.c.published_hint,
    )
    query = select(*columns).where(LEDGER.c.url.in_(bindparam("urls", expanding=True)))
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        for row in conn.execute(query, {"urls": wanted[start : start + LOOKUP_CHUNK]}):
            found[row.url] = LedgerEntry(*row)
    return found


def _due(now: datetime) -> Any:
    """The rule of :meth:`LedgerEntry.wanted` in SQL: not stored, not gone, not waiting."""
    return or_(
        LEDGER.c.state.in_(("pending", "fetched")),
        (LEDGER.c.state == "failed") & (LEDGER.c.next_attempt_at <= now),
    )


def due(
    conn: Connection,
    outlet: str,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    backfill: bool = False,
    run_id: int | None = None,
) -> list[LedgerEntry]:
    """The outlet's URLs a crawl must fetch: articles and listing pages not stored, not gone,
    not waiting for a retry.

    An incremental crawl (``backfill=False``) takes every such URL whose known publication
    time is not before ``since`` (the outlet's horizon) or is unknown; a backfill only those
    known to lie in ``[since, until)``. With ``run_id``, also every URL that run was the last
    to touch and left pending (what an interrupted run leaves, dated or not)."""
    query = select(
        LEDGER.c.url,
        LEDGER.c.kind,
        LEDGER.c.state,
        LEDGER.c.stored_at,
        LEDGER.c.lastmod,
        LEDGER.c.next_attempt_at,
        LEDGER.c.published_hint,
    ).where(LEDGER.c.outlet == outlet, LEDGER.c.kind.in_(("article", "listing")), _due(now))
    hint = LEDGER.c.published_hint
    scope: list[Any] = []
    if backfill:
        scope.append(hint.is_not(None))
        if since is not None:
            scope.append(hint >= since)
        if until is not None:
            scope.append(hint < until)
    elif since is not None:
        scope.append(or_(hint.is_(None), hint >= since))
    if scope:
        in_scope = and_(*scope)
        if run_id is not None:
            in_scope = or_(
                in_scope, (LEDGER.c.run_id == run_id) & LEDGER.c.state.in_(("pending", "fetched"))
            )
        query = query.where(in_scope)
    return [LedgerEntry(*row) for row in conn.execute(query.order_by(LEDGER.c.id))]


@dataclass
class OutletCounts:
    """What the ledger holds of one outlet's article URLs."""

    states: dict[str, int]
    """URLs per state."""
    due: int
    """URLs a crawl would fetch now (:func:`due`'s rule)."""
    given_up: int
    """Failed URLs without a next attempt (failed :data:`MAX_ATTEMPTS` times)."""


def outlet_counts(conn: Connection, now: datetime) -> dict[str, OutletCounts]:
    """Every outlet's article URLs per state, due now and given up, in one query."""
    given_up = (LEDGER.c.state == "failed") & LEDGER.c.next_attempt_at.is_(None)
    query = (
        select(
            LEDGER.c.outlet,
            LEDGER.c.state,
            func.count(),
            func.sum(case((_due(now), 1), else_=0)),
            func.sum(case((given_up, 1), else_=0)),
        )
        .where(LEDGER.c.kind == "article")
        .group_by(LEDGER.c.outlet, LEDGER.c.state)
    )
    counts: dict[str, OutletCounts] = {}
    for outlet, state, n, n_due, n_given_up in conn.execute(query):
        entry = counts.setdefault(str(outlet), OutletCounts({}, 0, 0))
        entry.states[str(state)] = int(n)
        entry.due += int(n_due or 0)
        entry.given_up += int(n_given_up or 0)
    return counts


def state_counts(conn: Connection, outlet: str | None = None) -> dict[str, int]:
    """How many article URLs are in each state (for one outlet or all)."""
    query = (
        select(LEDGER.c.state, func.count())
        .where(LEDGER.c.kind == "article")
        .group_by(LEDGER.c.state)
    )
    if outlet is not None:
        query = query.where(LEDGER.c.outlet == outlet)
    return {str(state): int(n) for state, n in conn.execute(query)}
