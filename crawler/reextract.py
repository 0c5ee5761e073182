"""Re-extraction: run the current extractor over the archived WARC records, no network.

This is how a fixed outlet profile (after a template change) or a better extractor repairs
the whole archive:

* **Stored articles** (filtered by outlet and local publication dates): the newest page row
  that gave the article and has a WARC location is read back, extracted with
  :func:`crawler.extraction.extract` under its real URL, and its normalised title+sapo+body
  compared with the stored ones. A changed text is stored through
  :meth:`crawler.storage.repository.Repository.store_article`, so the article gets a new
  ``article_versions`` row (the old text stays as the previous version), the new
  ``extractor_version``, and its dedup index entry follows. Articles whose stored
  ``extractor_version`` is the current one are skipped unless ``force``.
* **Failed pages** (outcome "failed", newest per canonical URL, with no article at that URL):
  a page that now extracts (title and body, as the spiders require) becomes an article — a
  new story or a duplicate, through the same repository call.

Pages are decoded with the HTTP headers archived with them (their ``Content-Type`` charset
outranks the page's ``<meta>``, as on the live crawl), and the boilerplate learned for each
outlet (``crawler boilerplate learn``) is applied; what was learned is part of the extractor
version, so learning again makes the outlet's articles candidates without ``force``. Pages
that are not articles (soft 404, listing...) never become articles.

Every write is attributed to a ``crawl_runs`` row with ``mode="reextract"``: for each stored
result a page row pointing at the *same* WARC record (same fetch time) is added to that run
and resolved by the repository. The repository's ``now`` is the page's fetch time, so
``last_seen`` and the version's ``created_at`` say when the text was fetched, not when it was
re-extracted. Metadata-only differences (authors, tags, dates…, same text) are counted but not
written: the repository versions text changes only.

Records are read in the order of their WARC file and offset (the archive is streamed, not
sought at random). With ``jobs`` > 1, reading and extracting run in that many worker
processes (:class:`crawler.parallel.FunctionPool`, calling :func:`read_and_extract` by name)
while this process compares and stores the results, in the same order.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from crawler.archive.reader import ArchiveError, read_record
from crawler.archive.writer import WarcLocation
from crawler.extraction import extract_page, extractor_version, outlet_key
from crawler.outlets import profile_for_url
from crawler.parallel import FunctionPool
from crawler.storage.boilerplate import load_learned
from crawler.storage.db import read_connection
from crawler.storage.records import PageRecord
from crawler.storage.repository import Repository
from crawler.storage.tables import ARTICLES, OUTLETS, PAGES
from crawler.storage.versions import content_hash_of
from crawler.urls import fold_host

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from concurrent.futures import Future
    from pathlib import Path

    from sqlalchemy import Connection, Engine

    from crawler.extraction import LearnedBoilerplate
    from crawler.items import Article as ArticleItem

logger = logging.getLogger(__name__)

LOCAL_OFFSET = timedelta(hours=7)
BATCH = 100
"""Candidates per transaction."""


@dataclass
class Candidate:
    """One page to re-extract: of a stored article, or a failed page."""

    page_id: int
    article_id: int | None
    outlet: str | None


@dataclass
class ReextractSummary:
    """What a re-extraction did."""

    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped_current: int = 0
    new_from_failed: int = 0
    still_failing: int = 0
    missing_warc: int = 0
    errors: int = 0
    run_id: int | None = None
    changed_by_outlet: Counter[str] = field(default_factory=Counter)
    changed_ids: list[int] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON-ready dictionary."""
        return {
            "run_id": self.run_id,
            "examined": self.examined,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "skipped_current": self.skipped_current,
            "new_from_failed": self.new_from_failed,
            "still_failing": self.still_failing,
            "missing_warc": self.missing_warc,
            "errors": self.errors,
            "changed_by_outlet": dict(sorted(self.changed_by_outlet.items())),
        }

    def format(self) -> str:
        """Human-readable lines."""
        lines = [
            f"examined {self.examined} pages: {self.changed} articles changed "
            f"(old text and metadata kept as a version), {self.unchanged} unchanged, "
            f"{self.skipped_current} skipped (already current extractor)",
            f"failed pages: {self.new_from_failed} now extracted, {self.still_failing} "
            "still failing",
            f"missing or unreadable WARC records: {self.missing_warc}; errors: {self.errors}",
        ]
        for outlet, n in sorted(self.changed_by_outlet.items()):
            lines.append(f"  {outlet}: {n} changed or new")
        return "\n".join(lines)


def _local_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - LOCAL_OFFSET


def find_candidates(
    conn: Connection,
    outlets: list[str],
    since: date | None,
    until: date | None,
    *,
    force: bool,
    current: Callable[[str], str],
    summary: ReextractSummary,
    failed_pages: bool = True,
) -> list[Candidate]:
    """The pages to re-extract (ids only; the work reads them batch by batch)."""
    a, p = ARTICLES.c, PAGES.c
    newest_page = (
        select(p.article_id, func.max(p.id).label("page_id"))
        .where(p.article_id.is_not(None), p.warc_file.is_not(None))
        .group_by(p.article_id)
        .subquery()
    )
    query = (
        select(a.id, a.url, a.extractor_version, OUTLETS.c.domain, newest_page.c.page_id)
        .select_from(
            ARTICLES.outerjoin(OUTLETS, OUTLETS.c.id == a.outlet_id).outerjoin(
                newest_page, newest_page.c.article_id == a.id
            )
        )
        .order_by(a.id)
    )
    if outlets:
        query = query.where(OUTLETS.c.domain.in_(outlets))
    if since is not None:
        query = query.where(a.published_at >= _local_start(since))
    if until is not None:
        query = query.where(a.published_at < _local_start(until + timedelta(days=1)))
    found: list[Candidate] = []
    for article_id, url, version, domain, page_id in conn.execute(query):
        if not force and version is not None and version == current(url):
            summary.skipped_current += 1
            continue
        if page_id is None:
            summary.examined += 1
            summary.missing_warc += 1
            continue
        found.append(Candidate(int(page_id), int(article_id), domain))
    if not failed_pages:
        return found
    newest_failed = (
        select(func.max(p.id))
        .where(p.outcome == "failed", p.warc_file.is_not(None))
        .group_by(p.canonical_url)
    )
    failed = select(p.id, p.url, p.fetched_at).where(
        p.id.in_(newest_failed),
        ~select(a.id).where(a.canonical_url == p.canonical_url).exists(),
    )
    if since is not None:
        failed = failed.where(p.fetched_at >= _local_start(since))
    if until is not None:
        failed = failed.where(p.fetched_at < _local_start(until + timedelta(days=1)))
    for page_id, url, _ in conn.execute(failed.order_by(p.id)):
        domain = _domain(url)
        if outlets and domain not in outlets:
            continue
        found.append(Candidate(int(page_id), None, domain))
    return found


def _domain(url: str) -> str | None:
    profile = profile_for_url(url)
    if profile is not None:
        return profile.domain
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    return fold_host(host) if host else None


class LearnedCache:
    """Each outlet's learned boilerplate, loaded once per re-extraction (or per worker)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None
        """A connection to read through while one is open (SQLite: a second connection
        would wait on the first one's lock)."""
        self.by_outlet: dict[str, LearnedBoilerplate] = {}

    def __call__(self, url: str) -> LearnedBoilerplate:
        """The learned boilerplate of the outlet serving ``url``."""
        key = outlet_key(url)
        if key not in self.by_outlet:
            if self.conn is not None:
                self.by_outlet[key] = load_learned(self.conn, key)
            else:
                with read_connection(self.engine) as conn:
                    self.by_outlet[key] = load_learned(conn, key)
        return self.by_outlet[key]

    def version(self, url: str) -> str:
        """The extractor version a page of ``url`` gets today."""
        return extractor_version(profile_for_url(url), self(url))


def reextract(
    engine: Engine,
    data_dir: Path,
    *,
    outlets: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    force: bool = False,
    threshold: float | None = None,
    progress: Callable[[int], object] | None = None,
    on_total: Callable[[int], None] | None = None,
    jobs: int = 1,
) -> ReextractSummary:
    """Re-extract the archive (see the module docstring) with ``jobs`` processes reading
    and extracting; the summary."""
    summary = ReextractSummary()
    repo = Repository() if threshold is None else Repository(threshold=threshold)
    learned = LearnedCache(engine)
    with engine.connect() as conn:
        learned.conn = conn
        candidates = find_candidates(
            conn,
            outlets or [],
            since,
            until,
            force=force,
            current=learned.version,
            summary=summary,
        )
        learned.conn = None
    if on_total is not None:
        on_total(len(candidates))
    with engine.connect() as conn:
        candidates = in_archive_order(conn, candidates)
    with engine.begin() as conn:
        summary.run_id = repo.open_run(conn, ["reextract"], "reextract", datetime.now(UTC))
    status = "finished"
    try:
        with FunctionPool(jobs if jobs > 1 else 0) as pool:
            # Double-buffered: the next batch is read and extracting while this one is stored
            # (its page rows are read before the write transaction: SQLite locks on BEGIN).
            # Worker processes load the learned boilerplate themselves (once per outlet), from
            # the database; in this process the cache above is used.
            source = learned if jobs <= 1 else engine.url.render_as_string(hide_password=False)
            batches = _batches(engine, data_dir, candidates, pool, source)
            current = next(batches, None)
            while current is not None:
                upcoming = next(batches, None)
                with engine.begin() as conn:
                    for cand, page, outcome in current:
                        _apply(conn, repo, page, cand, outcome.result(), summary)
                repo.commit_caches()
                if progress is not None:
                    progress(len(current))
                current = upcoming
    except BaseException:
        repo.rollback_caches()
        status = "error"
        raise
    finally:
        with engine.begin() as conn:
            repo.close_run(conn, summary.run_id, status, summary.to_json(), datetime.now(UTC))
    return summary


READ_AND_EXTRACT = "crawler.reextract:read_and_extract"
""":func:`read_and_extract` by name, for the worker processes."""


def in_archive_order(conn: Connection, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates sorted by their page's WARC file and offset."""
    where: dict[int, tuple[str, int]] = {}
    ids = [c.page_id for c in candidates]
    for start in range(0, len(ids), 500):
        query = select(PAGES.c.id, PAGES.c.warc_file, PAGES.c.warc_offset).where(
            PAGES.c.id.in_(ids[start : start + 500])
        )
        for page_id, file, offset in conn.execute(query):
            where[int(page_id)] = (str(file or ""), int(offset or 0))
    return sorted(candidates, key=lambda c: (*where.get(c.page_id, ("", 0)), c.page_id))


def _batches(
    engine: Engine,
    data_dir: Path,
    candidates: list[Candidate],
    pool: FunctionPool,
    learned: LearnedCache | str,
) -> Iterator[list[tuple[Candidate, PageRef, Future[Extracted]]]]:
    """The candidates a batch at a time, each page's reading and extraction started."""
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        ids = [c.page_id for c in batch]
        with read_connection(engine) as conn:
            rows = {row.id: row for row in conn.execute(select(PAGES).where(PAGES.c.id.in_(ids)))}
        started = []
        for cand in batch:
            row = rows[cand.page_id]
            page = PageRef(
                row.id, row.url, row.status, row.fetched_at, row.warc_file, row.warc_offset,
                row.warc_length, row.canonical_url,
            )  # fmt: skip
            if isinstance(learned, str):  # a database URL: the worker loads it
                job = pool.submit(READ_AND_EXTRACT, str(data_dir), page, None, learned)
            else:
                job = pool.submit(READ_AND_EXTRACT, str(data_dir), page, learned(page.url))
            started.append((cand, page, job))
        yield started


@dataclass(frozen=True)
class PageRef:
    """The page columns re-extraction uses (plain data, for the worker processes)."""

    id: int
    url: str
    status: int | None
    fetched_at: datetime
    warc_file: str | None
    warc_offset: int | None
    warc_length: int | None
    canonical_url: str | None


@dataclass
class Extracted:
    """What reading and extracting one page gave (made in a worker process)."""

    item: ArticleItem | None = None
    unreadable: str | None = None
    """Why the WARC record could not be read (None: it was)."""
    crashed: bool = False
    """The extractor raised something other than a parse error."""
    message: str = ""


_worker_learned: dict[str, LearnedCache] = {}
"""A worker process' learned boilerplate, by database URL (one cache per re-extraction, as
worker processes live for one)."""


def read_and_extract(
    data_dir: str,
    page: PageRef,
    learned: LearnedBoilerplate | None = None,
    database_url: str | None = None,
) -> Extracted:
    """Read one page's WARC record and extract it, decoded with its archived headers and
    with its outlet's learned boilerplate (given, or loaded from ``database_url``): a worker
    process' job."""
    from pathlib import Path

    try:
        record = read_record(
            Path(data_dir),
            WarcLocation(str(page.warc_file), int(page.warc_offset or 0), page.warc_length or 0),
        )
    except (ArchiveError, OSError, ValueError) as exc:
        return Extracted(unreadable=str(exc))
    try:
        if learned is None and database_url is not None:
            cache = _worker_learned.get(database_url)
            if cache is None:
                from crawler.storage.db import make_engine

                engine = make_engine(database_url, migrate=False)
                cache = _worker_learned[database_url] = LearnedCache(engine)
            learned = cache(page.url)
        outcome = extract_page(
            record.body,
            page.url,
            content_type=record.header("Content-Type"),
            learned=learned,
        )
    except Exception as exc:
        return Extracted(crashed=True, message=f"{type(exc).__name__}: {exc}")
    return Extracted(item=outcome.article, message=outcome.failure or "")


def _apply(
    conn: Connection,
    repo: Repository,
    page: PageRef,
    cand: Candidate,
    extracted: Extracted,
    summary: ReextractSummary,
) -> None:
    summary.examined += 1
    if extracted.unreadable is not None:
        logger.warning(
            "page %s (%s): WARC record unreadable: %s", page.id, page.url, extracted.unreadable
        )
        summary.missing_warc += 1
        return
    if extracted.crashed:
        logger.error("page %s (%s): extraction crashed: %s", page.id, page.url, extracted.message)
        summary.errors += 1
        return
    item = extracted.item
    if item is None:
        logger.info("page %s (%s): %s", page.id, page.url, extracted.message)
    ok = item is not None and bool(item.title) and bool(item.body)
    if cand.article_id is None:
        if not ok:
            summary.still_failing += 1
            return
        assert item is not None
        result = _store(conn, repo, page, item, summary)
        summary.new_from_failed += 1
        if result is not None:
            summary.new_ids.append(result)
        summary.changed_by_outlet[cand.outlet or "?"] += 1
        return
    if not ok:  # the current extractor does worse on this page: keep what is stored
        summary.still_failing += 1
        logger.warning("page %s (%s): no title/body with the current extractor", page.id, page.url)
        return
    assert item is not None
    stored = conn.execute(select(ARTICLES).where(ARTICLES.c.id == cand.article_id)).one()
    item.canonical_url = stored.canonical_url  # same story, whatever the page says now
    # The stored hash covers text and the metadata a profile fix can change (authors, tags,
    # category, date): any difference is stored as a new version.
    if content_hash_of(item) == stored.content_hash:
        summary.unchanged += 1
        return
    _store(conn, repo, page, item, summary)
    summary.changed += 1
    summary.changed_ids.append(int(stored.id))
    summary.changed_by_outlet[cand.outlet or "?"] += 1


def _store(
    conn: Connection, repo: Repository, page: Any, item: ArticleItem, summary: ReextractSummary
) -> int | None:
    fetched = page.fetched_at if page.fetched_at.tzinfo else page.fetched_at.replace(tzinfo=UTC)
    repo.record_page(
        conn,
        PageRecord(
            url=page.url,
            status=page.status,
            fetched_at=fetched,
            warc_file=page.warc_file,
            warc_offset=page.warc_offset,
            warc_length=page.warc_length,
            canonical_url=page.canonical_url,
        ),
        summary.run_id,
    )
    result = repo.store_article(conn, item, summary.run_id, fetched)
    return result.article_id
