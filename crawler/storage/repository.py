"""The archive's write operations, batched, as the storage writer applies them.

:class:`Repository` is the entry point the writer (:mod:`crawler.storage.batches`) calls with
an open connection inside a transaction. It composes the modules that each own one part of
the schema:

* :mod:`crawler.storage.runs` — ``crawl_runs``;
* :mod:`crawler.storage.pages` — ``pages`` (one row per response, resolved by its item);
* :mod:`crawler.storage.articles` — one article at a time (new story or refetch);
* :mod:`crawler.storage.bulk` — many new articles at once;
* :mod:`crawler.storage.versions` — normalising, hashing and ``article_versions``;
* :mod:`crawler.storage.dedup_index` — body hashes and the MinHash LSH index;
* :mod:`crawler.storage.ledger` — the URL ledger (what the crawls found and what became of it).

Every write can be replayed: the writer retries a whole batch after a deadlock, and a crawl
killed mid-batch is simply run again. Articles are keyed by canonical URL (``ON CONFLICT DO
NOTHING``), versions by ``(article, version)``, body hashes by hash and bucket rows by
``(bucket, article)``, so a replay leaves neither duplicates nor half-written articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta  # noqa: TC003 - dataclass field type, resolved at runtime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import case, select, update

from crawler.dedup import minhash
from crawler.dedup.urls import canonicalize
from crawler.storage import articles, bulk, ledger, pages, runs
from crawler.storage.articles import StoreResult
from crawler.storage.dedup_index import NearDupIndex
from crawler.storage.records import FetchFailure
from crawler.storage.tables import ARTICLES, OUTLETS, PAGES, on_conflict_nothing
from crawler.storage.versions import prepare
from crawler.urls import fold_host

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Connection

    from crawler.items import Article as ArticleItem
    from crawler.storage.records import ExtractionFailure, PageRecord
    from crawler.storage.versions import Prepared

__all__ = ["OPERATIONS", "Repository", "StoreResult"]

OPERATIONS = (
    "discovered",
    "visited",
    "page",
    "article",
    "failure",
    "fetch_failed",
    "deferred",
    "horizon",
)
"""Kinds of storage operations, in the order a batch applies them (see
:meth:`Repository.store_batch`)."""


@dataclass
class Repository:
    """The write operations, bound to a near-duplicate threshold.

    Holds a cache of outlet ids, filled only by :meth:`commit_caches` after the transaction
    that created them committed (a rolled-back batch must not leave stale ids behind), and
    the near-duplicate index's statistics bookkeeping.
    """

    threshold: float = minhash.DEFAULT_THRESHOLD
    retry_base: timedelta = ledger.RETRY_BASE
    """Wait before a failed URL is due again (grows per further failure)."""
    _outlets: dict[str, int] = field(default_factory=dict)
    _pending_outlets: dict[str, int] = field(default_factory=dict)
    index: NearDupIndex = field(init=False)

    def __post_init__(self) -> None:
        self.index = NearDupIndex(self.threshold)

    def commit_caches(self) -> None:
        """Keep what was learnt in the transaction that just committed."""
        self._outlets.update(self._pending_outlets)
        self._pending_outlets.clear()
        self.index.commit()

    def rollback_caches(self) -> None:
        """Forget what was learnt in the transaction that was rolled back."""
        self._pending_outlets.clear()
        self.index.rollback()

    def analyze_due(self) -> bool:
        """Whether :meth:`maybe_analyze` may have work (no database access)."""
        return self.index.analyze_due()

    def maybe_analyze(self, conn: Connection) -> bool:
        """:meth:`NearDupIndex.maybe_analyze`: refresh PostgreSQL's statistics when due."""
        return self.index.maybe_analyze(conn)

    # --- crawl runs and pages -----------------------------------------------------------------

    def open_run(
        self, conn: Connection, spiders: Sequence[str], mode: str | None, now: datetime
    ) -> int:
        """Insert a ``crawl_runs`` row in status "running"; its id."""
        return runs.open_run(conn, spiders, mode, now)

    def close_run(
        self,
        conn: Connection,
        run_id: int,
        status: str,
        stats: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        """Set the run's end time, close reason and stats."""
        runs.close_run(conn, run_id, status, stats, now)

    def record_page(self, conn: Connection, page: PageRecord, run_id: int | None) -> int:
        """Insert one fetched response; its page id."""
        return pages.record_page(conn, page, run_id)

    def record_failure(
        self, conn: Connection, failure: ExtractionFailure, run_id: int | None, now: datetime
    ) -> StoreResult:
        """Mark the page of a failed extraction "failed" with its error."""
        pages.record_failure(conn, failure, run_id, now)
        return StoreResult(article_id=None, outcome="failed")

    # --- outlets -----------------------------------------------------------------------------

    def outlet_id(self, conn: Connection, domain: str, now: datetime) -> int:
        """The id of the outlet ``domain``, inserted on first sight."""
        cached = self._outlets.get(domain) or self._pending_outlets.get(domain)
        if cached is not None:
            return cached
        conn.execute(
            on_conflict_nothing(conn.dialect.name, OUTLETS, "domain").values(
                domain=domain, first_seen=now
            )
        )
        found = conn.execute(select(OUTLETS.c.id).where(OUTLETS.c.domain == domain)).scalar_one()
        self._pending_outlets[domain] = int(found)
        return int(found)

    def _outlet_of(self, conn: Connection, p: Prepared) -> int | None:
        domain = p.item.outlet or fold_host(urlsplit(p.canonical).hostname or "")
        return self.outlet_id(conn, domain, p.seen_at) if domain else None

    # --- articles ----------------------------------------------------------------------------

    def store_article(
        self, conn: Connection, item: ArticleItem, run_id: int | None, now: datetime
    ) -> StoreResult:
        """Upsert one article (see :mod:`crawler.storage.articles`); links its page row."""
        p = prepare(item, now)
        result = articles.store_one(conn, p, self._outlet_of, self.index)
        pages.resolve_page(conn, item.url, run_id, now, _resolution(result, p))
        return result

    def store_batch(
        self, conn: Connection, ops: Sequence[tuple[str, Any, datetime]], run_id: int | None
    ) -> list[StoreResult | None]:
        """Apply a batch of ``(kind, payload, seen_at)`` operations in a constant number of
        statements; one result per operation (a :class:`StoreResult` for articles and
        failures, None for the rest).

        Kinds (:data:`OPERATIONS`): "discovered" (a list of
        :class:`~crawler.storage.records.Discovered`),
        "visited" (:class:`~crawler.storage.records.Visited`), "page"
        (:class:`~crawler.storage.records.PageRecord`), "article"
        (:class:`crawler.items.Article`), "failure" (:class:`ExtractionFailure`),
        "fetch_failed" (:class:`~crawler.storage.records.FetchFailure`), "deferred"
        (:class:`~crawler.storage.records.Deferred`) and "horizon" (``(outlet domain, time)``).
        They are applied kind by kind in that order, which is the order a URL goes through
        them (discovered, fetched, stored or failed), so the ledger ends as if they had been
        applied one by one. Pages and articles at canonical URLs not seen before go through
        the set-oriented path (:mod:`crawler.storage.bulk`); refetches, a URL twice in the
        batch, and a row a concurrent writer inserted meanwhile go one by one, in order.
        """
        by_kind: dict[str, list[int]] = {kind: [] for kind in OPERATIONS}
        for i, (kind, _, _) in enumerate(ops):
            if kind not in by_kind:
                raise ValueError(f"unknown storage operation {kind!r}")
            by_kind[kind].append(i)
        now = max((seen_at for _, _, seen_at in ops), default=None)
        if now is None:
            return []

        def payloads(kind: str) -> list[Any]:
            return [ops[i][1] for i in by_kind[kind]]

        results: list[StoreResult | None] = [None] * len(ops)
        discovered = [entry for entries in payloads("discovered") for entry in entries]
        ledger.record_discovered(conn, discovered, run_id, now)
        ledger.mark_visited(conn, payloads("visited"), run_id, now)
        fetched = payloads("page")
        pages.insert_pages(conn, fetched, run_id)
        ledger.mark_fetched(
            conn, [(p.requested_url, p.status) for p in fetched if p.requested_url], run_id, now
        )
        prepared = self._store_articles(conn, ops, by_kind["article"], run_id, results)
        self._mark_articles(conn, prepared, run_id, results, now)
        failures = by_kind["failure"]
        for i in failures:
            results[i] = self.record_failure(conn, ops[i][1], run_id, ops[i][2])
        extraction_failures = [
            FetchFailure(url, f"not stored: {ops[i][1].error}")
            for i in failures
            for url in self._ledger_urls(conn, ops[i][1].url, run_id)
        ]
        ledger.mark_failed(
            conn,
            [*extraction_failures, *payloads("fetch_failed")],
            run_id,
            now,
            base=self.retry_base,
        )
        ledger.mark_deferred(conn, payloads("deferred"), run_id, now)
        for domain, horizon in payloads("horizon"):
            self.set_horizon(conn, domain, horizon, now)
        return results

    def _store_articles(
        self,
        conn: Connection,
        ops: Sequence[tuple[str, Any, datetime]],
        indexes: list[int],
        run_id: int | None,
        results: list[StoreResult | None],
    ) -> dict[int, Prepared]:
        """Store the batch's articles: new URLs in bulk, the rest one by one, in order."""
        prepared = {i: prepare(ops[i][1], ops[i][2]) for i in indexes}
        existing: set[str] = set()
        if prepared:
            urls = sorted({p.canonical for p in prepared.values()})
            query = select(ARTICLES.c.canonical_url).where(ARTICLES.c.canonical_url.in_(urls))
            existing = set(conn.execute(query).scalars())
        fast: list[int] = []
        slow: list[int] = []
        seen_urls: set[str] = set()
        for i in sorted(prepared):
            canonical = prepared[i].canonical
            (slow if canonical in existing or canonical in seen_urls else fast).append(i)
            seen_urls.add(canonical)
        if fast:
            items = [(i, prepared[i]) for i in fast]
            bulk.insert_new_articles(conn, items, self._outlet_of, self.index, results)
        for i in slow:
            results[i] = self.store_article(conn, ops[i][1], run_id, ops[i][2])
        # Link the fast-path articles' pages (a URL twice goes one by one).
        resolutions: list[pages.Resolution] = []
        for i in fast:
            result = results[i]
            assert result is not None
            if result.article_id is None:  # lost a race: stored as a refetch instead
                results[i] = self.store_article(conn, ops[i][1], run_id, ops[i][2])
                continue
            resolutions.append((i, prepared[i].item.url, _resolution(result, prepared[i])))
        pages.resolve_pages(conn, resolutions, run_id, [seen_at for _, _, seen_at in ops])
        return prepared

    def _mark_articles(
        self,
        conn: Connection,
        prepared: dict[int, Prepared],
        run_id: int | None,
        results: list[StoreResult | None],
        now: datetime,
    ) -> None:
        """Mark the stored articles' URLs ``stored`` in the ledger: the article's canonical
        URL, the page's and the URL the crawl requested (before redirects)."""
        stored: list[tuple[str, str, int | None, datetime | None]] = []
        requested = self._requested_urls(conn, [p.item.url for p in prepared.values()], run_id)
        for i, p in prepared.items():
            result = results[i]
            if result is None or result.article_id is None:
                continue
            outlet = p.item.outlet or fold_host(urlsplit(p.canonical).hostname or "")
            published = p.fields["published_at"]
            urls = {p.canonical, *_canonical_or_none(p.item.url), *requested.get(p.item.url, ())}
            stored.extend((url, outlet, result.article_id, published) for url in sorted(urls))
        ledger.mark_stored(conn, stored, run_id, now)

    def _requested_urls(
        self, conn: Connection, urls: list[str], run_id: int | None
    ) -> dict[str, set[str]]:
        """The ledger URLs the run's responses at ``urls`` answered (redirects included)."""
        if not urls:
            return {}
        query = select(PAGES.c.url, PAGES.c.requested_url).where(
            PAGES.c.url.in_(sorted(set(urls))),
            PAGES.c.requested_url.is_not(None),
            PAGES.c.run_id.is_(None) if run_id is None else PAGES.c.run_id == run_id,
        )
        found: dict[str, set[str]] = {}
        for url, requested in conn.execute(query):
            found.setdefault(url, set()).add(requested)
        return found

    def _ledger_urls(self, conn: Connection, url: str, run_id: int | None) -> set[str]:
        """The ledger URLs a response at ``url`` stands for."""
        return {*_canonical_or_none(url), *self._requested_urls(conn, [url], run_id).get(url, ())}

    def set_horizon(self, conn: Connection, domain: str, horizon: datetime, now: datetime) -> None:
        """Record an outlet's crawl horizon unless it has one (the earliest wins)."""
        self.outlet_id(conn, domain, now)
        conn.execute(
            update(OUTLETS)
            .where(OUTLETS.c.domain == domain)
            .values(
                crawl_horizon=case(
                    (OUTLETS.c.crawl_horizon.is_(None), horizon),
                    (OUTLETS.c.crawl_horizon > horizon, horizon),
                    else_=OUTLETS.c.crawl_horizon,
                )
            )
        )


def _canonical_or_none(url: str) -> tuple[str, ...]:
    try:
        return (canonicalize(url),)
    except ValueError:
        return ()


def _resolution(result: StoreResult, p: Prepared) -> dict[str, Any]:
    """The page row values of a stored article."""
    return {
        "outcome": result.outcome,
        "article_id": result.article_id,
        "extractor_version": p.item.extractor_version,
        "canonical_url": p.canonical,
    }
