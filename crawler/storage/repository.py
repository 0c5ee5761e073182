"""The archive's write operations, batched, as the storage writer applies them.

:class:`Repository` is the entry point the writer (:mod:`crawler.storage.batches`) calls with
an open connection inside a transaction. It composes the modules that each own one part of
the schema:

* :mod:`crawler.storage.runs` — ``crawl_runs``;
* :mod:`crawler.storage.pages` — ``pages`` (one row per response, resolved by its item);
* :mod:`crawler.storage.articles` — one article at a time (new story or refetch);
* :mod:`crawler.storage.bulk` — many new articles at once;
* :mod:`crawler.storage.versions` — normalising, hashing and ``article_versions``;
* :mod:`crawler.storage.dedup_index` — body hashes and the MinHash LSH index.

Every write can be replayed: the writer retries a whole batch after a deadlock, and a crawl
killed mid-batch is simply run again. Articles are keyed by canonical URL (``ON CONFLICT DO
NOTHING``), versions by ``(article, version)``, body hashes by hash and bucket rows by
``(bucket, article)``, so a replay leaves neither duplicates nor half-written articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from crawler.dedup import minhash
from crawler.storage import articles, bulk, pages, runs
from crawler.storage.articles import StoreResult
from crawler.storage.dedup_index import NearDupIndex
from crawler.storage.tables import ARTICLES, OUTLETS, on_conflict_nothing
from crawler.storage.versions import prepare
from crawler.urls import fold_host

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Connection

    from crawler.items import Article as ArticleItem
    from crawler.storage.records import ExtractionFailure, PageRecord
    from crawler.storage.versions import Prepared

__all__ = ["Repository", "StoreResult"]


@dataclass
class Repository:
    """The write operations, bound to a near-duplicate threshold.

    Holds a cache of outlet ids, filled only by :meth:`commit_caches` after the transaction
    that created them committed (a rolled-back batch must not leave stale ids behind), and
    the near-duplicate index's statistics bookkeeping.
    """

    threshold: float = minhash.DEFAULT_THRESHOLD
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
        statements; the result is the same as applying them one by one, in order.

        Kinds are "page" (:class:`PageRecord`), "article" (:class:`crawler.items.Article`) and
        "failure" (:class:`ExtractionFailure`). Pages and articles at canonical URLs not seen
        before go through the set-oriented path (:mod:`crawler.storage.bulk`); everything
        else (refetches, a URL twice in the batch, failures, a row a concurrent writer
        inserted meanwhile) goes through :meth:`store_article` / :meth:`record_failure`
        afterwards, in order.
        """
        for kind, _, _ in ops:
            if kind not in ("page", "article", "failure"):
                raise ValueError(f"unknown storage operation {kind!r}")
        results: list[StoreResult | None] = [None] * len(ops)
        pages.insert_pages(conn, [payload for kind, payload, _ in ops if kind == "page"], run_id)

        prepared = {
            i: prepare(payload, seen_at)
            for i, (kind, payload, seen_at) in enumerate(ops)
            if kind == "article"
        }
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
        for i, (kind, payload, seen_at) in enumerate(ops):
            if kind == "failure":
                results[i] = self.record_failure(conn, payload, run_id, seen_at)
        return results


def _resolution(result: StoreResult, p: Prepared) -> dict[str, Any]:
    """The page row values of a stored article."""
    return {
        "outcome": result.outcome,
        "article_id": result.article_id,
        "extractor_version": p.item.extractor_version,
        "canonical_url": p.canonical,
    }
