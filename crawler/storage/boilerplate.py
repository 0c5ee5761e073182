"""Learning boilerplate from the archive, storing it, loading it for extraction.

**Learning** (``crawler boilerplate learn``, and again at the end of every crawl of an outlet):
the outlet's newest archived article pages (at most :data:`SAMPLE_PAGES`; pages that were
parsed as articles, duplicates of another story left out) are read back from their WARC
records, decoded with their archived HTTP headers, and cut into text blocks the way the
extractor cuts a body (:func:`crawler.extraction.learned.page_block_texts`). A block whose
fingerprint appears on at least ``max(MIN_PAGES, MIN_SHARE × pages sampled)`` different pages
is boilerplate: sidebars, footers, counters, newsletter and promo boxes, a line the newsroom
pastes under every story. An outlet with fewer than ``MIN_SAMPLE`` sampled pages learns
nothing (too few to tell a template from a coincidence); the counting and these thresholds
are :class:`crawler.extraction.learned.BlockCounter`'s. The outlet's rows in
``learned_boilerplate`` are replaced in one transaction.

**Loading** gives a :class:`crawler.extraction.learned.LearnedBoilerplate`: the learned
fingerprints plus the fingerprints of the titles of the outlet's stored articles (a body
block that is another article's title is a related-news link). Extraction receives it as an
argument; nothing in :mod:`crawler.extraction` touches the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, insert, or_, select

from crawler.archive.reader import ArchiveError, read_record
from crawler.archive.writer import WarcLocation
from crawler.extraction.dom import PageParseError, parse_document
from crawler.extraction.learned import (
    BlockCounter,
    LearnedBoilerplate,
    fingerprint,
    page_block_texts,
)
from crawler.outlets import profile_for_url
from crawler.storage import models

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

LEARNED: Table = models.LearnedBoilerplateBlock.__table__  # type: ignore[assignment]
_PAGES: Table = models.Page.__table__  # type: ignore[assignment]
_ARTICLES: Table = models.Article.__table__  # type: ignore[assignment]
_OUTLETS: Table = models.Outlet.__table__  # type: ignore[assignment]

SAMPLE_PAGES = 400
"""Newest article pages of an outlet read per learning run."""


@dataclass
class LearnSummary:
    """What one outlet's learning run found."""

    outlet: str
    """The outlet's domain."""

    sampled: int = 0
    """Pages read back and cut into blocks."""

    unreadable: int = 0
    """Pages whose WARC record could not be read or parsed."""

    learned: int = 0
    """Blocks learned as boilerplate."""

    threshold: int = 0
    """Pages a block had to appear on."""

    examples: list[tuple[int, str]] = field(default_factory=list)
    """The most frequent learned blocks: (pages, text)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "outlet": self.outlet,
            "sampled": self.sampled,
            "unreadable": self.unreadable,
            "learned": self.learned,
            "threshold": self.threshold,
            "examples": [{"pages": n, "text": t} for n, t in self.examples],
        }


def outlet_hosts(outlet: str) -> tuple[str, ...]:
    """Every host an outlet's pages are fetched from (its profile's, else the usual forms)."""
    profile = profile_for_url(f"https://{outlet}/")
    if profile is not None:
        return profile.hosts
    return (outlet, f"www.{outlet}", f"m.{outlet}")


def _url_patterns(outlet: str) -> Any:
    hosts = outlet_hosts(outlet)
    return or_(
        *(
            _PAGES.c.url.like(f"{scheme}://{host}/%")
            for host in hosts
            for scheme in ("https", "http")
        )
    )


def known_outlets(conn: Connection) -> list[str]:
    """Domains of the outlets the archive has stored articles of."""
    return sorted(str(d) for d in conn.execute(select(_OUTLETS.c.domain)).scalars())


def sample_pages(conn: Connection, outlet: str, limit: int = SAMPLE_PAGES) -> list[Any]:
    """The outlet's newest archived pages that were parsed as articles, one per story,
    duplicates of another story left out."""
    query = (
        select(
            _PAGES.c.id,
            _PAGES.c.url,
            _PAGES.c.canonical_url,
            _PAGES.c.warc_file,
            _PAGES.c.warc_offset,
            _PAGES.c.warc_length,
        )
        .select_from(_PAGES.outerjoin(_ARTICLES, _ARTICLES.c.id == _PAGES.c.article_id))
        .where(
            _PAGES.c.warc_file.is_not(None),
            _PAGES.c.outcome.is_not(None),
            _PAGES.c.status == 200,
            _ARTICLES.c.duplicate_of.is_(None),
            _ARTICLES.c.near_duplicate_of.is_(None),
            _url_patterns(outlet),
        )
        .order_by(_PAGES.c.id.desc())
        .limit(limit * 3)
    )
    chosen: list[Any] = []
    seen: set[str] = set()
    for row in conn.execute(query):
        key = str(row.canonical_url or row.url)
        if key in seen:
            continue
        seen.add(key)
        chosen.append(row)
        if len(chosen) >= limit:
            break
    return chosen


def learn_outlet(
    engine: Engine,
    data_dir: Path,
    outlet: str,
    *,
    sample: int = SAMPLE_PAGES,
    now: datetime | None = None,
) -> LearnSummary:
    """Learn one outlet's boilerplate from its archived pages and store it."""
    summary = LearnSummary(outlet)
    with engine.connect() as conn:
        rows = sample_pages(conn, outlet, sample)
    counter = BlockCounter()
    for row in rows:
        try:
            record = read_record(
                data_dir, WarcLocation(row.warc_file, int(row.warc_offset), int(row.warc_length))
            )
            root, _ = parse_document(record.body, record.header("Content-Type"))
        except (ArchiveError, OSError, ValueError, PageParseError) as exc:
            logger.info("page %s (%s) not read for learning: %s", row.id, row.url, exc)
            summary.unreadable += 1
            continue
        summary.sampled += 1
        counter.add(page_block_texts(root))
    summary.threshold = counter.threshold
    learned = counter.learned()
    texts = counter.texts
    summary.learned = len(learned)
    summary.examples = sorted(((n, texts[k]) for k, n in learned.items()), reverse=True)[:10]
    when = now or datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(delete(LEARNED).where(LEARNED.c.outlet == outlet))
        if learned:
            conn.execute(
                insert(LEARNED),
                [
                    {
                        "outlet": outlet,
                        "fingerprint": key,
                        "text": texts[key][:2000],
                        "pages": n,
                        "sample_size": summary.sampled,
                        "learned_at": when,
                    }
                    for key, n in sorted(learned.items())
                ],
            )
    logger.info(
        "%s: learned %d boilerplate blocks from %d pages (threshold %d pages)",
        outlet,
        summary.learned,
        summary.sampled,
        summary.threshold,
    )
    return summary


def learn_in(data_directory: str, url: str, timeout: float, outlet: str) -> int:
    """:func:`learn_outlet` on the archive at ``url`` / ``data_directory``, from plain data
    (for a worker process: :func:`crawler.parallel.shared_pool`); the blocks learned."""
    from pathlib import Path

    from crawler.storage.db import engine_in

    engine = engine_in(data_directory, url, timeout)
    try:
        return learn_outlet(engine, Path(data_directory), outlet).learned
    finally:
        engine.dispose()


def learn(
    engine: Engine,
    data_dir: Path,
    outlets: list[str] | None = None,
    *,
    sample: int = SAMPLE_PAGES,
) -> list[LearnSummary]:
    """Learn the boilerplate of the given outlets (default: every outlet in the archive)."""
    if not outlets:
        with engine.connect() as conn:
            outlets = known_outlets(conn)
    return [learn_outlet(engine, data_dir, outlet, sample=sample) for outlet in outlets]


TITLES_LOADED = 50_000
"""Titles of the outlet's newest stored articles loaded at most (related boxes link to recent
stories; a large archive's whole title list would cost memory and start-up time)."""


def load_learned(bind: Engine | Connection, outlet: str) -> LearnedBoilerplate:
    """The outlet's learned boilerplate and its newest stored articles' title fingerprints
    (:data:`TITLES_LOADED` at most).

    ``bind`` is an engine, or a connection to read through (inside a transaction that holds
    SQLite's write lock, a second connection would wait for it)."""
    if isinstance(bind, Connection):
        return _load(bind, outlet)
    with bind.connect() as conn:
        return _load(conn, outlet)


def _load(conn: Connection, outlet: str) -> LearnedBoilerplate:
    rows = conn.execute(
        select(LEARNED.c.fingerprint, LEARNED.c.text).where(LEARNED.c.outlet == outlet)
    ).all()
    titles = conn.execute(
        select(_ARTICLES.c.title)
        .join(_OUTLETS, _OUTLETS.c.id == _ARTICLES.c.outlet_id)
        .where(_OUTLETS.c.domain == outlet, _ARTICLES.c.title.is_not(None))
        .order_by(_ARTICLES.c.id.desc())
        .limit(TITLES_LOADED)
    ).scalars()
    title_keys = frozenset(fingerprint(t) for t in titles if t)
    return LearnedBoilerplate(
        outlet=outlet,
        fingerprints=frozenset(str(r.fingerprint) for r in rows),
        titles=title_keys,
        samples={str(r.fingerprint): str(r.text) for r in rows},
    )


def learned_blocks(engine: Engine, outlet: str) -> list[tuple[int, int, str]]:
    """The outlet's learned blocks for people: (pages, sample size, text), most frequent first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(LEARNED.c.pages, LEARNED.c.sample_size, LEARNED.c.text)
            .where(LEARNED.c.outlet == outlet)
            .order_by(LEARNED.c.pages.desc(), LEARNED.c.id)
        ).all()
    return [(int(r.pages), int(r.sample_size), str(r.text)) for r in rows]
