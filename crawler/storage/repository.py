"""Idempotent writes of the archive, and one-row-per-story queries.

Every write here takes an open :class:`sqlalchemy.Connection` inside a transaction and can be
replayed: the writer retries a whole batch after a deadlock, and a crawl killed mid-batch is
simply run again. What makes each step idempotent:

* **Article by canonical URL** — ``INSERT … ON CONFLICT (canonical_url) DO NOTHING``
  (dialect-specific ``insert`` on SQLite and PostgreSQL); a concurrent writer that loses the
  race reads the winner's row and goes on as a refetch. Existing rows are read ``FOR UPDATE``
  on PostgreSQL (SQLite serialises writers with ``BEGIN IMMEDIATE``).
* **Versions** — a refetch whose normalised title+sapo+body hash differs adds version
  ``n + 1`` (unique ``(article_id, version)``), copies the new text onto the article and sets
  ``modified_at`` (the page's own modification time, else the time the change was seen). An
  unchanged refetch only moves ``last_seen``.
* **Exact duplicates** — ``body_hashes`` has the normalised body hash as primary key, pointing
  at the first article with that body; a new article whose body hash is already there gets
  ``duplicate_of`` = that article. The insert is ``ON CONFLICT DO NOTHING``, so two writers
  storing the same body at once still agree on one original.
* **Near duplicates** — see :mod:`crawler.dedup.minhash`. A new article that is not an exact
  duplicate is looked up in the LSH bucket table (one indexed query) and its best candidate
  verified with the stored signatures; at or above the threshold it gets
  ``near_duplicate_of`` and ``near_similarity``. Only *roots* (articles that are neither exact
  nor near duplicates) are indexed, so a story syndicated a hundred times stays one index
  entry and every copy points at the same root. When a root gets a new version its index
  entry is replaced. The verdict is made when an article is first stored and not revisited by
  later versions. Two writers storing two near-duplicate *new* articles at the very same
  moment may both become roots (exact duplicates have no such window).
* **Pages** — one row per fetched response (:func:`record_page`); the article or failure of
  that response updates the newest unresolved page row of the same URL in the same run, or
  inserts a page row when there is none (pipelines used without the page ledger).
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, Table, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from crawler.dedup import minhash
from crawler.dedup.text import hashes_of_normalized, nfc, normalize_lines, normalize_or_none
from crawler.dedup.urls import canonicalize, resolve_canonical
from crawler.storage import models
from crawler.storage.records import ExtractionFailure, PageRecord
from crawler.urls import fold_host

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.sql.dml import Insert

    from crawler.items import Article as ArticleItem

ARTICLES: Table = models.Article.__table__  # type: ignore[assignment]
VERSIONS: Table = models.ArticleVersion.__table__  # type: ignore[assignment]
PAGES: Table = models.Page.__table__  # type: ignore[assignment]
OUTLETS: Table = models.Outlet.__table__  # type: ignore[assignment]
RUNS: Table = models.CrawlRun.__table__  # type: ignore[assignment]
BODY_HASHES: Table = models.BodyHash.__table__  # type: ignore[assignment]
SIGNATURES: Table = models.NearDupSignature.__table__  # type: ignore[assignment]
BUCKETS: Table = models.NearDupBucket.__table__  # type: ignore[assignment]

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
"""Zone assumed for a time an item gives without an offset (the outlets' local time)."""

ANALYZED_TABLES = (BUCKETS, SIGNATURES, BODY_HASHES, ARTICLES, PAGES)
"""Tables whose PostgreSQL statistics :meth:`Repository.maybe_analyze` refreshes."""

ANALYZE_MIN_ROWS = 20_000
"""Bucket rows committed before the first ``ANALYZE`` of a writer (about 600 stories)."""

OUTCOMES = ("stored", "duplicate", "updated", "unchanged", "failed")
"""Page outcomes: a new story, a new exact/near duplicate, a new version, a refetch without
change, an extraction failure."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def parse_time(value: str | datetime | None) -> datetime | None:
    """An aware datetime from an item's ISO 8601 string (naive means Vietnam time)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM)
    return parsed


def normalize_body(body: str | None) -> str | None:
    """NFC body with white space folded inside each paragraph, empty paragraphs dropped."""
    return normalize_lines(body)


def _insert(conn: Connection, table: Table) -> Insert:
    """The dialect's ``INSERT`` (with ``on_conflict_do_nothing``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database {conn.dialect.name!r}")


def _on_conflict_nothing(conn: Connection, table: Table, *columns: str) -> Any:
    stmt: Any = _insert(conn, table)
    return stmt.on_conflict_do_nothing(index_elements=list(columns))


class _Statements:
    """The hot statements, built once per dialect and executed with parameter dicts.

    Building ``insert().values(**literals)`` per row costs more than the database work on
    SQLite (SQLAlchemy derives a cache key from every literal), so the writer reuses these.
    """

    def __init__(self, conn: Connection) -> None:
        canonical: Any = bindparam("canonical")
        self.article = select(ARTICLES.c.id, ARTICLES.c.content_hash, ARTICLES.c.version).where(
            ARTICLES.c.canonical_url == canonical
        )
        if conn.dialect.name == "postgresql":
            self.article = self.article.with_for_update()
        self.body_owner = select(BODY_HASHES.c.article_id).where(
            BODY_HASHES.c.hash == bindparam("hash")
        )
        self.insert_article = _on_conflict_nothing(conn, ARTICLES, "canonical_url").returning(
            ARTICLES.c.id
        )
        self.insert_version = _insert(conn, VERSIONS)
        self.claim_body = _on_conflict_nothing(conn, BODY_HASHES, "hash").returning(
            BODY_HASHES.c.hash
        )
        self.touch = (
            update(ARTICLES)
            .where(ARTICLES.c.id == bindparam("article_id"))
            .values(last_seen=bindparam("now"))
        )
        hits = func.count().label("hits")
        self.candidates = (
            select(BUCKETS.c.article_id, hits)
            .where(BUCKETS.c.bucket.in_(bindparam("keys", expanding=True)))
            .group_by(BUCKETS.c.article_id)
            .order_by(hits.desc(), BUCKETS.c.article_id)
            .limit(minhash.MAX_CANDIDATES)
        )
        self.signatures = select(SIGNATURES.c.article_id, SIGNATURES.c.signature).where(
            SIGNATURES.c.article_id.in_(bindparam("ids", expanding=True)),
            SIGNATURES.c.sketch == minhash.SKETCH_ID,
        )
        self.insert_signature = _insert(conn, SIGNATURES)
        self.insert_buckets = _on_conflict_nothing(conn, BUCKETS, "bucket", "article_id")
        # The bulk of every batch (BANDS rows per indexed article) goes straight to the driver's
        # executemany with tuples: no per-row parameter processing by SQLAlchemy.
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.raw_buckets = (
            f"INSERT INTO {BUCKETS.name} (bucket, article_id) VALUES ({mark}, {mark}) "
            "ON CONFLICT (bucket, article_id) DO NOTHING"
        )
        self.raw_signature = (
            f"INSERT INTO {SIGNATURES.name} (article_id, sketch, signature) "
            f"VALUES ({mark}, {mark}, {mark})"
        )
        newest = (
            select(func.max(PAGES.c.id))
            .where(
                PAGES.c.url == bindparam("page_url"),
                PAGES.c.run_id == bindparam("page_run"),
                PAGES.c.outcome.is_(None),
            )
            .scalar_subquery()
        )
        self.newest_page_null_run = (
            select(func.max(PAGES.c.id))
            .where(
                PAGES.c.url == bindparam("page_url"),
                PAGES.c.run_id.is_(None),
                PAGES.c.outcome.is_(None),
            )
            .scalar_subquery()
        )
        self.resolve_page = update(PAGES).where(PAGES.c.id == newest)
        self.resolve_page_null_run = update(PAGES).where(PAGES.c.id == self.newest_page_null_run)
        self.insert_page = _insert(conn, PAGES).returning(PAGES.c.id)
        self.insert_page_plain = _insert(conn, PAGES)


@dataclass
class StoreResult:
    """What storing one item did."""

    article_id: int | None
    outcome: str
    duplicate_of: int | None = None
    near_duplicate_of: int | None = None
    similarity: float | None = None
    version: int | None = None


@dataclass
class Repository:
    """The write operations, bound to a near-duplicate threshold.

    Holds a cache of outlet ids, filled only by :meth:`commit_caches` after the transaction
    that created them committed (a rolled-back batch must not leave stale ids behind).
    """

    threshold: float = minhash.DEFAULT_THRESHOLD
    _outlets: dict[str, int] = field(default_factory=dict)
    _pending_outlets: dict[str, int] = field(default_factory=dict)
    _statements: dict[str, _Statements] = field(default_factory=dict)
    _pending_index_rows: int = 0
    _index_rows_since_analyze: int = 0
    _index_rows_at_analyze: int | None = None

    def _sql(self, conn: Connection) -> _Statements:
        stmts = self._statements.get(conn.dialect.name)
        if stmts is None:
            stmts = self._statements[conn.dialect.name] = _Statements(conn)
        return stmts

    def commit_caches(self) -> None:
        """Keep the ids learnt in the transaction that just committed."""
        self._outlets.update(self._pending_outlets)
        self._pending_outlets.clear()
        self._index_rows_since_analyze += self._pending_index_rows
        self._pending_index_rows = 0

    def rollback_caches(self) -> None:
        """Forget the ids learnt in the transaction that was rolled back."""
        self._pending_outlets.clear()
        self._pending_index_rows = 0

    # --- planner statistics -----------------------------------------------------------------

    def analyze_due(self) -> bool:
        """Whether :meth:`maybe_analyze` may have work (no database access)."""
        return self._index_rows_since_analyze >= max(
            ANALYZE_MIN_ROWS, self._index_rows_at_analyze or 0
        )

    def maybe_analyze(self, conn: Connection) -> bool:
        """Refresh PostgreSQL's statistics of the dedup tables once they have doubled.

        The archive starts empty and the LSH bucket table grows by :data:`minhash.BANDS`
        rows per story, to millions of rows within one crawl. Planned on the statistics of an
        almost empty table, the batch lookups (``bucket IN (…)``, ``hash IN (…)``,
        ``canonical_url IN (…)``) turn into sequential scans whose cost grows with the
        archive; autovacuum's analyze (10 % growth, and only when its worker gets to it) lags
        behind a bulk load. So the writer runs ``ANALYZE`` itself whenever the bucket rows it
        committed since the last one reach the number there were then (and at least
        :data:`ANALYZE_MIN_ROWS`): a logarithmic number of cheap, sampled ANALYZEs over a
        crawl. True when it ran one. SQLite needs none (its planner uses the indexes anyway).
        """
        if conn.dialect.name != "postgresql":
            return False
        if self._index_rows_at_analyze is None:
            estimate = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": BUCKETS.name},
            ).scalar()
            self._index_rows_at_analyze = max(0, int(estimate or 0))
        if self._index_rows_since_analyze < max(ANALYZE_MIN_ROWS, self._index_rows_at_analyze):
            return False
        conn.execute(text(f"ANALYZE {', '.join(t.name for t in ANALYZED_TABLES)}"))
        self._index_rows_at_analyze += self._index_rows_since_analyze
        self._index_rows_since_analyze = 0
        return True

    # --- crawl runs -------------------------------------------------------------------------

    def open_run(
        self, conn: Connection, spiders: Sequence[str], mode: str | None, now: datetime
    ) -> int:
        """Insert a ``crawl_runs`` row in status "running"; its id."""
        run_id = conn.execute(
            _insert(conn, RUNS)
            .values(started_at=now, spiders=list(spiders), mode=mode, status="running")
            .returning(RUNS.c.id)
        ).scalar_one()
        return int(run_id)

    def close_run(
        self,
        conn: Connection,
        run_id: int,
        status: str,
        stats: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        """Set the run's end time, close reason and stats (JSON-safe)."""
        conn.execute(
            update(RUNS)
            .where(RUNS.c.id == run_id)
            .values(finished_at=now, status=status[:32], stats=_json_safe(stats or {}))
        )

    # --- outlets ----------------------------------------------------------------------------

    def outlet_id(self, conn: Connection, domain: str, now: datetime) -> int:
        """The id of the outlet ``domain``, inserted on first sight."""
        cached = self._outlets.get(domain) or self._pending_outlets.get(domain)
        if cached is not None:
            return cached
        conn.execute(
            _on_conflict_nothing(conn, OUTLETS, "domain").values(domain=domain, first_seen=now)
        )
        found = conn.execute(select(OUTLETS.c.id).where(OUTLETS.c.domain == domain)).scalar_one()
        self._pending_outlets[domain] = int(found)
        return int(found)

    # --- pages ------------------------------------------------------------------------------

    def record_page(self, conn: Connection, page: PageRecord, run_id: int | None) -> int:
        """Insert one fetched response; its page id."""
        page_id = conn.execute(
            self._sql(conn).insert_page, self._page_row(page, run_id)
        ).scalar_one()
        return int(page_id)

    def _resolve_page(
        self,
        conn: Connection,
        url: str,
        run_id: int | None,
        now: datetime,
        values: dict[str, Any],
    ) -> None:
        """Set the outcome on the newest unresolved page of ``url`` in the run, or add a page."""
        sql = self._sql(conn)
        if run_id is None:
            stmt = sql.resolve_page_null_run.values(**{k: bindparam(f"v_{k}") for k in values})
            params: dict[str, Any] = {"page_url": url}
        else:
            stmt = sql.resolve_page.values(**{k: bindparam(f"v_{k}") for k in values})
            params = {"page_url": url, "page_run": run_id}
        params.update({f"v_{k}": v for k, v in values.items()})
        result = conn.execute(stmt, params)
        if result.rowcount == 0:
            canonical = values.get("canonical_url")
            if canonical is None:
                with contextlib.suppress(ValueError):
                    canonical = canonicalize(url)
            row = {
                "run_id": run_id,
                "url": url,
                "fetched_at": now,
                "status": None,
                "error": None,
                "article_id": None,
                "extractor_version": None,
                **values,
            }
            row["canonical_url"] = canonical
            conn.execute(sql.insert_page_plain, row)

    def record_failure(
        self, conn: Connection, failure: ExtractionFailure, run_id: int | None, now: datetime
    ) -> StoreResult:
        """Mark the page of a failed extraction "failed" with its error."""
        values: dict[str, Any] = {
            "outcome": "failed",
            "error": nfc(failure.error),
            "extractor_version": failure.extractor_version,
        }
        if failure.status is not None:
            values["status"] = failure.status
        self._resolve_page(conn, failure.url, run_id, now, values)
        return StoreResult(article_id=None, outcome="failed")

    # --- articles ---------------------------------------------------------------------------

    def store_article(
        self, conn: Connection, item: ArticleItem, run_id: int | None, now: datetime
    ) -> StoreResult:
        """Upsert one article (see the module docstring); links its page row."""
        sql = self._sql(conn)
        canonical = resolve_canonical(item.url, item.canonical_url)
        title = normalize_or_none(item.title)
        sapo = normalize_or_none(item.sapo)
        body = normalize_body(item.body)
        text_hash, bhash = hashes_of_normalized(title, sapo, body)
        fields = _text_fields(item, title, sapo, body)
        chash = _with_metadata(text_hash, fields)
        row = conn.execute(sql.article, {"canonical": canonical}).first()
        result: StoreResult | None = None
        if row is None:
            result = self._insert_new(conn, item, canonical, fields, chash, bhash, now)
            if result is None:  # a concurrent writer inserted it first: now it exists
                row = conn.execute(sql.article, {"canonical": canonical}).first()
                assert row is not None
        if row is not None:
            result = self._refetch(conn, row, item, fields, chash, bhash, now)
        assert result is not None
        self._resolve_page(
            conn,
            item.url,
            run_id,
            now,
            {
                "outcome": result.outcome,
                "article_id": result.article_id,
                "extractor_version": item.extractor_version,
                "canonical_url": canonical,
            },
        )
        return result

    def _insert_new(
        self,
        conn: Connection,
        item: ArticleItem,
        canonical: str,
        fields: dict[str, Any],
        chash: str,
        bhash: str | None,
        now: datetime,
    ) -> StoreResult | None:
        sql = self._sql(conn)
        duplicate_of: int | None = None
        if bhash is not None:
            duplicate_of = conn.execute(sql.body_owner, {"hash": bhash}).scalar()
        sig = None
        near: tuple[int, float] | None = None
        if duplicate_of is None:
            sig = minhash.signature((fields["title"], fields["sapo"], fields["body"]))
            if sig is not None:
                near = self.find_near_duplicate(conn, sig)
        domain = item.outlet or fold_host(_host(canonical))
        outlet_id = self.outlet_id(conn, domain, now) if domain else None
        article_id = conn.execute(
            sql.insert_article,
            {
                "canonical_url": canonical,
                "url": item.url,
                "outlet_id": outlet_id,
                "language": item.language,
                "slug": item.slug,
                "body_hash": bhash,
                "content_hash": chash,
                "duplicate_of": duplicate_of,
                "near_duplicate_of": near[0] if near else None,
                "near_similarity": near[1] if near else None,
                "version": 1,
                "first_seen": now,
                "last_seen": now,
                **fields,
            },
        ).scalar()
        if article_id is None:
            return None
        conn.execute(
            sql.insert_version,
            {
                "article_id": article_id,
                "version": 1,
                "url": item.url,
                "content_hash": chash,
                "body_hash": bhash,
                "created_at": now,
                **fields,
            },
        )
        if bhash is not None and duplicate_of is None:
            claimed = conn.execute(sql.claim_body, {"hash": bhash, "article_id": article_id})
            if claimed.scalar() is None:  # another writer stored the same body first
                duplicate_of = conn.execute(sql.body_owner, {"hash": bhash}).scalar_one()
                near = None
                conn.execute(
                    update(ARTICLES)
                    .where(ARTICLES.c.id == article_id)
                    .values(duplicate_of=duplicate_of, near_duplicate_of=None, near_similarity=None)
                )
        if sig is not None and duplicate_of is None and near is None:
            self.index(conn, article_id, sig)
        is_dup = duplicate_of is not None or near is not None
        return StoreResult(
            article_id=article_id,
            outcome="duplicate" if is_dup else "stored",
            duplicate_of=duplicate_of,
            near_duplicate_of=near[0] if near else None,
            similarity=near[1] if near else None,
            version=1,
        )

    def _refetch(
        self,
        conn: Connection,
        row: Any,
        item: ArticleItem,
        fields: dict[str, Any],
        chash: str,
        bhash: str | None,
        now: datetime,
    ) -> StoreResult:
        sql = self._sql(conn)
        article_id = int(row.id)
        if row.content_hash == chash:
            conn.execute(sql.touch, {"article_id": article_id, "now": now})
            return StoreResult(article_id=article_id, outcome="unchanged", version=row.version)
        version = int(row.version) + 1
        conn.execute(
            sql.insert_version,
            {
                "article_id": article_id,
                "version": version,
                "url": item.url,
                "content_hash": chash,
                "body_hash": bhash,
                "created_at": now,
                **fields,
            },
        )
        values = dict(fields)
        values["modified_at"] = fields["modified_at"] or now
        conn.execute(
            update(ARTICLES)
            .where(ARTICLES.c.id == article_id)
            .values(
                url=item.url,
                content_hash=chash,
                body_hash=bhash,
                version=version,
                last_seen=now,
                language=item.language,
                slug=item.slug,
                **values,
            )
        )
        if bhash is not None:
            conn.execute(sql.claim_body, {"hash": bhash, "article_id": article_id})
        indexed = conn.execute(
            select(SIGNATURES.c.article_id).where(SIGNATURES.c.article_id == article_id)
        ).scalar()
        if indexed is not None:  # a root: its index entry follows its text
            conn.execute(BUCKETS.delete().where(BUCKETS.c.article_id == article_id))
            conn.execute(SIGNATURES.delete().where(SIGNATURES.c.article_id == article_id))
            sig = minhash.signature((fields["title"], fields["sapo"], fields["body"]))
            if sig is not None:
                self.index(conn, article_id, sig)
        return StoreResult(article_id=article_id, outcome="updated", version=version)

    # --- batches ----------------------------------------------------------------------------

    def store_batch(
        self, conn: Connection, ops: Sequence[tuple[str, Any, datetime]], run_id: int | None
    ) -> list[StoreResult | None]:
        """Apply a batch of ``(kind, payload, seen_at)`` operations in a constant number of
        statements; the result is the same as applying them one by one, in order.

        Kinds are "page" (:class:`PageRecord`), "article" (:class:`crawler.items.Article`) and
        "failure" (:class:`ExtractionFailure`). Per-item statements cost more than the work
        itself, so the common case — pages, and articles at a canonical URL not seen before —
        is done with set-oriented queries: one ``IN`` query each for existing URLs, body
        owners, LSH buckets and candidate signatures, and multi-row inserts. Exact and near
        duplicates *within* the batch are found in memory with the same rules. Everything
        else (refetches, a URL twice in the batch, failures, a row a concurrent writer
        inserted meanwhile) goes through :meth:`store_article` / :meth:`record_failure`
        afterwards, in order.
        """
        sql = self._sql(conn)
        results: list[StoreResult | None] = [None] * len(ops)
        pages = [self._page_row(op[1], run_id) for op in ops if op[0] == "page"]
        if pages:
            conn.execute(sql.insert_page_plain, pages)

        # Prepare the articles; find which canonical URLs already exist.
        prepared: dict[int, _Prepared] = {}
        for i, (kind, payload, seen_at) in enumerate(ops):
            if kind == "article":
                prepared[i] = _prepare(payload, seen_at)
        existing: set[str] = set()
        if prepared:
            urls = sorted({p.canonical for p in prepared.values()})
            query = select(ARTICLES.c.canonical_url).where(ARTICLES.c.canonical_url.in_(urls))
            existing = set(conn.execute(query).scalars())
        fast: list[int] = []
        slow: list[int] = []
        seen_urls: set[str] = set()
        for i in sorted(prepared):
            p = prepared[i]
            if p.canonical in existing or p.canonical in seen_urls:
                slow.append(i)
            else:
                fast.append(i)
            seen_urls.add(p.canonical)
        if fast:
            self._insert_batch(conn, ops, [(i, prepared[i]) for i in fast], results)
        for i in slow:
            results[i] = self.store_article(conn, ops[i][1], run_id, ops[i][2])
        # Link the fast-path articles and record failures (a URL twice goes one by one).
        resolve: list[tuple[int, str, dict[str, Any]]] = []
        for i in fast:
            res, p = results[i], prepared[i]
            assert res is not None
            if res.article_id is None:  # lost a race: stored as a refetch instead
                results[i] = self.store_article(conn, ops[i][1], run_id, ops[i][2])
                continue
            resolve.append(
                (
                    i,
                    p.item.url,
                    {
                        "outcome": res.outcome,
                        "article_id": res.article_id,
                        "extractor_version": p.item.extractor_version,
                        "canonical_url": p.canonical,
                    },
                )
            )
        self._resolve_pages(conn, resolve, run_id, ops)
        for i, (kind, payload, seen_at) in enumerate(ops):
            if kind == "failure":
                results[i] = self.record_failure(conn, payload, run_id, seen_at)
            elif kind not in ("page", "article"):
                raise ValueError(f"unknown storage operation {kind!r}")
        return results

    def _page_row(self, page: PageRecord, run_id: int | None) -> dict[str, Any]:
        canonical = page.canonical_url
        if canonical is None:
            with contextlib.suppress(ValueError):
                canonical = canonicalize(page.url)
        return {
            "run_id": run_id,
            "url": page.url,
            "canonical_url": canonical,
            "status": page.status,
            "fetched_at": page.fetched_at,
            "warc_file": page.warc_file,
            "warc_offset": page.warc_offset,
            "warc_length": page.warc_length,
            "outcome": None,
            "error": None,
            "extractor_version": None,
            "article_id": None,
        }

    def _resolve_pages(
        self,
        conn: Connection,
        resolve: list[tuple[int, str, dict[str, Any]]],
        run_id: int | None,
        ops: Sequence[tuple[str, Any, datetime]],
    ) -> None:
        """Set outcomes on the newest unresolved page of each URL (bulk when URLs differ)."""
        if not resolve:
            return
        counts: dict[str, int] = {}
        for _, url, _ in resolve:
            counts[url] = counts.get(url, 0) + 1
        bulk = [r for r in resolve if counts[r[1]] == 1]
        for i, url, values in resolve:
            if counts[url] > 1:
                self._resolve_page(conn, url, run_id, ops[i][2], values)
        if not bulk:
            return
        urls = [url for _, url, _ in bulk]
        query = (
            select(PAGES.c.url, func.max(PAGES.c.id))
            .where(PAGES.c.url.in_(urls), PAGES.c.outcome.is_(None))
            .where(PAGES.c.run_id.is_(None) if run_id is None else PAGES.c.run_id == run_id)
            .group_by(PAGES.c.url)
        )
        newest = dict(conn.execute(query).all())
        updates: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        for i, url, values in bulk:
            page_id = newest.get(url)
            if page_id is not None:
                updates.append({"page_id": page_id, **{f"v_{k}": v for k, v in values.items()}})
            else:
                row = self._page_row(PageRecord(url=url, status=None, fetched_at=ops[i][2]), run_id)
                row.update(values)
                inserts.append(row)
        if updates:
            keys = [k[2:] for k in updates[0] if k.startswith("v_")]
            stmt = (
                update(PAGES)
                .where(PAGES.c.id == bindparam("page_id"))
                .values(**{k: bindparam(f"v_{k}") for k in keys})
            )
            conn.execute(stmt, updates)
        if inserts:
            conn.execute(self._sql(conn).insert_page_plain, inserts)

    def _insert_batch(
        self,
        conn: Connection,
        ops: Sequence[tuple[str, Any, datetime]],
        items: list[tuple[int, _Prepared]],
        results: list[StoreResult | None],
    ) -> None:
        """Insert new articles (distinct canonical URLs not in the database) in bulk."""
        # Exact duplicates: owners in the database, else the first of the batch.
        hashes = sorted({p.bhash for _, p in items if p.bhash})
        owners: dict[str, int] = {}
        if hashes:
            owners = dict(
                conn.execute(
                    select(BODY_HASHES.c.hash, BODY_HASHES.c.article_id).where(
                        BODY_HASHES.c.hash.in_(hashes)
                    )
                ).all()
            )
        first_with_hash: dict[str, int] = {}
        for i, p in items:
            if not p.bhash:
                continue
            if p.bhash in owners:
                p.duplicate_of = owners[p.bhash]
            elif p.bhash in first_with_hash:
                p.duplicate_of_batch = first_with_hash[p.bhash]
            else:
                first_with_hash[p.bhash] = i
        # Near duplicates: database candidates in two queries, batch roots in memory.
        for _, p in items:
            if p.duplicate_of is None and p.duplicate_of_batch is None:
                p.sig = minhash.signature((p.fields["title"], p.fields["sapo"], p.fields["body"]))
                if p.sig is not None:
                    p.keys = minhash.band_keys(p.sig)
        all_keys = sorted({k for _, p in items for k in p.keys})
        by_key: dict[int, list[int]] = {}
        if all_keys:
            for bucket, article_id in conn.execute(
                select(BUCKETS.c.bucket, BUCKETS.c.article_id).where(BUCKETS.c.bucket.in_(all_keys))
            ):
                by_key.setdefault(int(bucket), []).append(int(article_id))
        wanted: dict[int, list[int]] = {}
        for i, p in items:
            if p.keys:
                hits: dict[int, int] = {}
                for k in p.keys:
                    for a in by_key.get(k, ()):
                        hits[a] = hits.get(a, 0) + 1
                ranked = sorted(hits, key=lambda a: (-hits[a], a))[: minhash.MAX_CANDIDATES]
                wanted[i] = ranked
        cand_ids = sorted({a for ids in wanted.values() for a in ids})
        sigs: dict[int, Any] = {}
        if cand_ids:
            for cand_id, blob in conn.execute(self._sql(conn).signatures, {"ids": cand_ids}):
                sigs[int(cand_id)] = minhash.from_bytes(blob)
        batch_roots: dict[int, list[int]] = {}  # bucket -> batch indexes of roots
        for i, p in items:
            if p.sig is None:
                continue
            best: tuple[int, float] | None = None
            for a in wanted.get(i, ()):
                if a in sigs:
                    sim = minhash.similarity(p.sig, sigs[a])
                    if sim >= self.threshold and (best is None or sim > best[1]):
                        best = (a, sim)
            best_batch: tuple[int, float] | None = None
            seen: set[int] = set()
            for k in p.keys:
                for j in batch_roots.get(k, ()):
                    if j in seen:
                        continue
                    seen.add(j)
                    other = next(q for idx, q in items if idx == j)
                    sim = minhash.similarity(p.sig, other.sig)
                    if sim >= self.threshold and (best_batch is None or sim > best_batch[1]):
                        best_batch = (j, sim)
            if best_batch is not None and (best is None or best_batch[1] > best[1]):
                p.near_of_batch, p.similarity = best_batch
            elif best is not None:
                p.near_of, p.similarity = best
            else:
                for k in p.keys:
                    batch_roots.setdefault(k, []).append(i)
        # Insert the rows (references to batch rows are patched right after).
        now_rows: list[dict[str, Any]] = []
        for _, p in items:
            domain = p.item.outlet or fold_host(_host(p.canonical))
            outlet_id = self.outlet_id(conn, domain, p.seen_at) if domain else None
            now_rows.append(
                {
                    "canonical_url": p.canonical,
                    "url": p.item.url,
                    "outlet_id": outlet_id,
                    "language": p.item.language,
                    "slug": p.item.slug,
                    "body_hash": p.bhash,
                    "content_hash": p.chash,
                    "duplicate_of": p.duplicate_of,
                    "near_duplicate_of": p.near_of,
                    "near_similarity": p.similarity if p.near_of is not None else None,
                    "version": 1,
                    "first_seen": p.seen_at,
                    "last_seen": p.seen_at,
                    **p.fields,
                }
            )
        stmt = _on_conflict_nothing(conn, ARTICLES, "canonical_url").returning(
            ARTICLES.c.id, ARTICLES.c.canonical_url
        )
        ids = dict((url, int(id_)) for id_, url in conn.execute(stmt, now_rows).all())
        index_of = {i: ids.get(p.canonical) for i, p in items}
        patches: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        for i, p in items:
            article_id = index_of[i]
            if article_id is None:  # a concurrent writer inserted this URL: refetch path
                results[i] = StoreResult(article_id=None, outcome="stored")
                continue
            if p.duplicate_of_batch is not None:
                p.duplicate_of = index_of.get(p.duplicate_of_batch)
            if p.near_of_batch is not None:
                p.near_of = index_of.get(p.near_of_batch)
            if p.duplicate_of_batch is not None or p.near_of_batch is not None:
                patches.append(
                    {
                        "a_id": article_id,
                        "dup": p.duplicate_of,
                        "near": p.near_of,
                        "sim": p.similarity if p.near_of is not None else None,
                    }
                )
            versions.append(
                {
                    "article_id": article_id,
                    "version": 1,
                    "url": p.item.url,
                    "content_hash": p.chash,
                    "body_hash": p.bhash,
                    "created_at": p.seen_at,
                    **p.fields,
                }
            )
            if p.bhash and p.duplicate_of is None:
                claims.append({"hash": p.bhash, "article_id": article_id})
        if patches:
            conn.execute(
                update(ARTICLES)
                .where(ARTICLES.c.id == bindparam("a_id"))
                .values(
                    duplicate_of=bindparam("dup"),
                    near_duplicate_of=bindparam("near"),
                    near_similarity=bindparam("sim"),
                ),
                patches,
            )
        if versions:
            conn.execute(self._sql(conn).insert_version, versions)
        lost_claims: set[int] = set()
        if claims:
            claimed = set(conn.execute(self._sql(conn).claim_body, claims).scalars().all())
            for c in claims:
                if c["hash"] not in claimed:  # a concurrent writer stored this body first
                    owner = conn.execute(
                        self._sql(conn).body_owner, {"hash": c["hash"]}
                    ).scalar_one()
                    conn.execute(
                        update(ARTICLES)
                        .where(ARTICLES.c.id == c["article_id"])
                        .values(duplicate_of=owner, near_duplicate_of=None, near_similarity=None)
                    )
                    lost_claims.add(c["article_id"])
                    for _, p in items:
                        if ids.get(p.canonical) == c["article_id"]:
                            p.duplicate_of, p.near_of = owner, None
        signatures: list[tuple[int, str, bytes]] = []
        buckets: list[tuple[int, int]] = []
        for i, p in items:
            article_id = index_of[i]
            if article_id is None:
                continue
            is_root = p.sig is not None and p.duplicate_of is None and p.near_of is None
            if is_root and article_id not in lost_claims:
                signatures.append((article_id, minhash.SKETCH_ID, minhash.to_bytes(p.sig)))
                buckets.extend((k, article_id) for k in sorted(set(p.keys)))
            is_dup = p.duplicate_of is not None or p.near_of is not None
            results[i] = StoreResult(
                article_id=article_id,
                outcome="duplicate" if is_dup else "stored",
                duplicate_of=p.duplicate_of,
                near_duplicate_of=p.near_of,
                similarity=p.similarity if p.near_of is not None else None,
                version=1,
            )
        if signatures:
            conn.exec_driver_sql(self._sql(conn).raw_signature, signatures)
        if buckets:
            conn.exec_driver_sql(self._sql(conn).raw_buckets, buckets)
            self._pending_index_rows += len(buckets)

    # --- near-duplicate index ---------------------------------------------------------------

    def find_near_duplicate(
        self, conn: Connection, sig: Any, exclude: int | None = None
    ) -> tuple[int, float] | None:
        """The most similar indexed article at or above the threshold, with its similarity.

        Two indexed queries whatever the archive size: bucket keys → candidate ids (ranked
        by shared buckets, at most :data:`minhash.MAX_CANDIDATES`), then their signatures.
        """
        sql = self._sql(conn)
        keys = minhash.band_keys(sig)
        candidates = conn.execute(sql.candidates, {"keys": keys}).all()
        ids = [int(c.article_id) for c in candidates if c.article_id != exclude]
        if not ids:
            return None
        best: tuple[int, float] | None = None
        for cand_id, blob in conn.execute(sql.signatures, {"ids": ids}):
            sim = minhash.similarity(sig, minhash.from_bytes(blob))
            if sim >= self.threshold and (
                best is None or sim > best[1] or (sim == best[1] and cand_id < best[0])
            ):
                best = (int(cand_id), sim)
        return best

    def index(self, conn: Connection, article_id: int, sig: Any) -> None:
        """Add an article's signature and bucket keys to the near-duplicate index."""
        sql = self._sql(conn)
        conn.execute(
            sql.insert_signature,
            {
                "article_id": article_id,
                "sketch": minhash.SKETCH_ID,
                "signature": minhash.to_bytes(sig),
            },
        )
        keys = sorted(set(minhash.band_keys(sig)))
        conn.exec_driver_sql(sql.raw_buckets, [(k, article_id) for k in keys])
        self._pending_index_rows += len(keys)


# --- queries ----------------------------------------------------------------------------------


def stories(include_duplicates: bool = False) -> Select[Any]:
    """``SELECT`` of articles, one row per story unless ``include_duplicates``.

    A story is an article that is neither an exact (``duplicate_of``) nor a near
    (``near_duplicate_of``) duplicate; duplicates stay reachable with the flag.
    """
    query = select(ARTICLES).order_by(ARTICLES.c.id)
    if not include_duplicates:
        query = query.where(
            ARTICLES.c.duplicate_of.is_(None), ARTICLES.c.near_duplicate_of.is_(None)
        )
    return query


def count_stories(conn: Connection, include_duplicates: bool = False) -> int:
    """How many stories (or articles, with duplicates) the archive holds."""
    sub = stories(include_duplicates).subquery()
    return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())


def duplicates_of(conn: Connection, article_id: int) -> list[Any]:
    """The exact and near duplicates pointing at an article."""
    return list(
        conn.execute(
            select(ARTICLES)
            .where(
                (ARTICLES.c.duplicate_of == article_id)
                | (ARTICLES.c.near_duplicate_of == article_id)
            )
            .order_by(ARTICLES.c.id)
        )
    )


@dataclass
class _Prepared:
    """An article item normalised and hashed, with its dedup verdict being worked out."""

    item: ArticleItem
    seen_at: datetime
    canonical: str
    fields: dict[str, Any]
    chash: str
    bhash: str | None
    sig: Any = None
    keys: list[int] = field(default_factory=list)
    duplicate_of: int | None = None
    duplicate_of_batch: int | None = None
    near_of: int | None = None
    near_of_batch: int | None = None
    similarity: float | None = None


def _prepare(item: ArticleItem, seen_at: datetime) -> _Prepared:
    title = normalize_or_none(item.title)
    sapo = normalize_or_none(item.sapo)
    body = normalize_body(item.body)
    text_hash, bhash = hashes_of_normalized(title, sapo, body)
    fields = _text_fields(item, title, sapo, body)
    return _Prepared(
        item=item,
        seen_at=seen_at,
        canonical=resolve_canonical(item.url, item.canonical_url),
        fields=fields,
        chash=_with_metadata(text_hash, fields),
        bhash=bhash,
    )


def content_hash_of(item: ArticleItem) -> str:
    """The content hash :meth:`Repository.store_article` would record for ``item``."""
    return _prepare(item, datetime.now(UTC)).chash


def _with_metadata(text_hash: str, fields: dict[str, Any]) -> str:
    """The content hash: the text's, plus the metadata a profile fix can change.

    Authors, tags, category and publication time are part of what a version records, so a
    re-extraction that only corrects them (a byline moved to ``authors``, a date found)
    stores a new version too; the page's own ``modified_at`` and the extractor version are
    not, so an unchanged refetch stays unchanged."""
    published = fields["published_at"]
    meta = "\x1f".join(
        (
            text_hash,
            "\x1e".join(fields["authors"]),
            "\x1e".join(fields["tags"]),
            fields["category"] or "",
            published.isoformat() if published is not None else "",
        )
    )
    return hashlib.sha256(meta.encode("utf-8")).hexdigest()


# --- helpers ------------------------------------------------------------------------------------


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


def _text_fields(
    item: ArticleItem, title: str | None, sapo: str | None, body: str | None
) -> dict[str, Any]:
    """The versioned fields of an item, NFC."""
    return {
        "title": title,
        "sapo": sapo,
        "body": body,
        "authors": [nfc(a) for a in item.authors or []],
        "tags": [nfc(t) for t in item.tags or []],
        "images": [
            {
                "url": img.get("url"),
                "caption": nfc(caption) if (caption := img.get("caption")) else None,
            }
            for img in item.images or []
        ],
        "published_at": parse_time(item.published_at),
        "modified_at": parse_time(item.modified_at),
        "category": normalize_or_none(item.category),
        "extractor_version": item.extractor_version,
    }


def _json_safe(value: Any) -> Any:
    """Scrapy stats made JSON-serialisable (datetimes as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
