"""The archive's schema as SQLAlchemy 2 typed models.

Every text column holds NFC text; every time is timezone-aware (:class:`UTCDateTime`).
The Alembic migrations in :mod:`crawler.storage.migrations` produce exactly this schema
(a test compares autogenerate against these models).

Tables
------
``outlets``              one row per outlet domain.
``crawl_runs``           one row per crawl (spider names, mode, status, Scrapy stats, process).
``articles``             one row per canonical URL — the *story as last seen*, with its dedup
                         verdict (``duplicate_of`` exact, ``near_duplicate_of`` + similarity).
``article_versions``     every distinct text an article ever had (version 1 = first seen).
``pages``                one row per fetched response: status, time, WARC location,
                         extraction outcome and error, the article it gave.
``body_hashes``          normalised body hash → first article with that body (unique: race-free
                         exact dedup between concurrent writers).
``near_dup_signatures``  MinHash signature of each indexed article.
``near_dup_buckets``     LSH bucket key → article (the persistent near-dup index).
``url_ledger``           every URL the crawls discovered and what became of it (the frontier's
                         memory: pending, fetched, stored, failed, gone).
``changes``              the change log: one row per article write an export consumer must
                         see (new article, new version, duplicate mark), written in the same
                         transaction as the write itself.
``export_consumers``     each incremental-export consumer's checkpoint in the change log.
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - SQLAlchemy resolves Mapped[...] at runtime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crawler.storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Outlet(Base):
    """A news outlet, identified by its domain without ``www.``."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)  # e.g. "baohatinh.vn"
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)  # first article stored
    # Publication time before which incremental crawls of the outlet don't look: set by its
    # first incremental crawl (ARCHIVE_FIRST_CRAWL_DAYS back); earlier is backfill territory.
    crawl_horizon: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    """One crawl: opened when the spider opens, closed with the crawler's stats."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None while running
    spiders: Mapped[list[str]] = mapped_column(JSON)  # spider names of this crawl
    mode: Mapped[str | None] = mapped_column(String(32))  # e.g. "incremental", "full"
    # "running", then "finished", "partial", "failed", "interrupted" or "killed" (see
    # crawler.runstatus); a run left "running" by a dead process is marked "killed" later.
    status: Mapped[str] = mapped_column(String(32))
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # Scrapy stats at close
    pid: Mapped[int | None] = mapped_column(Integer)  # process that ran the crawl
    host: Mapped[str | None] = mapped_column(String(255))  # machine it ran on
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last sign of life


class Article(Base):
    """One story at one canonical URL, as last seen; its history is in ``article_versions``.

    ``duplicate_of`` points at the first article with the same normalised body (exact
    duplicate); ``near_duplicate_of`` at the indexed article it resembles, with the estimated
    Jaccard ``near_similarity``. Duplicates are kept, never deleted; queries hide them by
    default.
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)  # one canonical URL = one row
    url: Mapped[str] = mapped_column(Text)  # page URL it was last fetched from
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    sapo: Mapped[str | None] = mapped_column(Text)  # lead paragraph
    body: Mapped[str | None] = mapped_column(Text)  # paragraphs joined by "\n"
    authors: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"url", "caption"}]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # page's, or change seen
    category: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    slug: Mapped[str | None] = mapped_column(Text)
    extractor_version: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # sha256 normalised
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of title+sapo+body
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    near_duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    near_similarity: Mapped[float | None] = mapped_column(Float)  # estimated Jaccard
    version: Mapped[int] = mapped_column(Integer)  # number of versions = latest version no.
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleVersion(Base):
    """One distinct text of an article; version 1 is the text first seen."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, … per article
    url: Mapped[str] = mapped_column(Text)  # page URL this text was fetched from
    title: Mapped[str | None] = mapped_column(Text)
    sapo: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    category: Mapped[str | None] = mapped_column(Text)
    extractor_version: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this text was seen


class Page(Base):
    """One fetched response and what became of it.

    ``warc_file`` is relative to ``ARCHIVE_DATA_DIR``; ``warc_offset``/``warc_length`` locate
    the WARC record holding the response's payload: its own ``response`` record, or, for a
    re-fetch archived as a ``revisit`` record, the earlier capture's ``response`` record it
    refers to (``fetched_at`` is then this fetch's time, the record's ``WARC-Date`` being the
    earlier one's); ``payload_digest`` is the payload's ``WARC-Payload-Digest``.
    ``outcome`` is None until an item for the page is stored, then one of
    "stored", "duplicate", "updated", "unchanged", "failed" (``error`` says why; the page
    stays in the WARC for re-extraction).
    """

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    url: Mapped[str] = mapped_column(Text, index=True)  # response URL (after redirects)
    requested_url: Mapped[str | None] = mapped_column(Text)  # URL-ledger entry it answers
    canonical_url: Mapped[str | None] = mapped_column(Text, index=True)
    status: Mapped[int | None] = mapped_column(Integer)  # HTTP status
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warc_file: Mapped[str | None] = mapped_column(Text)  # relative to ARCHIVE_DATA_DIR
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)  # byte offset of the record
    warc_length: Mapped[int | None] = mapped_column(BigInteger)  # record length in bytes
    # WARC-Payload-Digest of the response ("sha1:<base32>"): a re-fetch with the same digest
    # is archived as a revisit record (crawler.archive.revisits).
    payload_digest: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)  # extraction error, when failed
    extractor_version: Mapped[str | None] = mapped_column(String(64))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)


class BodyHash(Base):
    """First article seen with a normalised body; the primary key makes exact dedup race-free."""

    __tablename__ = "body_hashes"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))


class NearDupSignature(Base):
    """MinHash signature of an indexed (root) article, for verifying LSH candidates."""

    __tablename__ = "near_dup_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    sketch: Mapped[str] = mapped_column(String(64))  # crawler.dedup.minhash.SKETCH_ID
    signature: Mapped[bytes] = mapped_column(LargeBinary)  # NUM_PERM little-endian uint32


class NearDupBucket(Base):
    """One LSH band bucket of an indexed article: lookups are ``WHERE bucket IN (...)``.

    On SQLite a WITHOUT ROWID table (migration 0002): rows are clustered on the primary key,
    so each of an article's 32 random keys is written into one B-tree, not two.
    """

    __tablename__ = "near_dup_buckets"
    __table_args__ = (
        Index("ix_near_dup_buckets_article_id", "article_id"),
        {"sqlite_with_rowid": False},
    )

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # 64-bit band hash
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )


class LedgerUrl(Base):
    """One URL a crawl discovered (or must come back to) and what became of it.

    The ledger is the crawls' memory across runs (:mod:`crawler.storage.ledger`): every article
    URL found in a sitemap, feed or listing is recorded here in the same transaction as the
    other writes of its batch, and moves ``pending`` → ``fetched`` (response received) →
    ``stored`` (its article committed), or to ``failed`` (with ``reason``, ``attempts`` and
    ``next_attempt_at``: it is due again then) or ``gone`` (404/410, off-site). A URL that is not
    ``stored`` or ``gone`` is due to the next crawl, so whatever an outage, a full disk or a
    crash kept from being stored is simply fetched again. Listing pages still to walk and
    sitemaps already read are kept too (``kind``), so an interrupted listing walk resumes and an
    unchanged sitemap is not read twice.
    """

    __tablename__ = "url_ledger"
    __table_args__ = (Index("ix_url_ledger_due", "outlet", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)  # canonical URL as requested
    outlet: Mapped[str] = mapped_column(String(255))  # outlet domain, e.g. "baohatinh.vn"
    kind: Mapped[str] = mapped_column(String(16))  # "article", "listing" or "sitemap"
    state: Mapped[str] = mapped_column(String(16))  # pending/fetched/stored/failed/gone/done
    found_via: Mapped[str | None] = mapped_column(String(16))  # sitemap, feed, listing, …
    found_on: Mapped[str | None] = mapped_column(Text)  # URL of the page that listed it
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)  # first discovered
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)  # last listed by a source
    lastmod: Mapped[datetime | None] = mapped_column(UTCDateTime)  # newest lastmod given
    published_hint: Mapped[datetime | None] = mapped_column(UTCDateTime)  # date known before
    attempts: Mapped[int] = mapped_column(Integer)  # failed attempts since last stored
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when due again
    last_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the last fetch
    reason: Mapped[str | None] = mapped_column(Text)  # why failed / gone / pending again
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last stored (or seen)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))  # last run on it


class Change(Base):
    """One write to an article that an incremental export must carry: the change log.

    Written in the same transaction as the write itself (:mod:`crawler.storage.changes`), so
    a change is visible exactly when the article state it describes is. ``kind`` is "new"
    (article first stored, version 1, with its dedup verdict), "version" (a new text or
    metadata version, re-extractions included) or "duplicate" (the article was marked an
    exact duplicate after it was inserted).

    ``id`` grows with every change (``AUTOINCREMENT`` on SQLite: ids are never reused) and is
    the consumers' cursor. On PostgreSQL a smaller id can commit after a larger one; a pull
    therefore reads up to a *cut* taken under an advisory lock that every change-logging
    transaction holds shared until it ends (see :mod:`crawler.storage.changes`).
    """

    __tablename__ = "changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "new", "version", "duplicate"
    version: Mapped[int | None] = mapped_column(Integer)  # article version it produced
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # wall clock


class ExportConsumer(Base):
    """An incremental-export consumer (``crawler export --consumer NAME``) and its checkpoint.

    ``position`` is where its next pull starts in the change log: the last change id it
    consumed (the cut of its last pull). It is only advanced after a pull's output is
    complete. ``filters`` are the filters the consumer was
    created with (a pull with other filters is refused: the checkpoint covers what they
    selected).
    """

    __tablename__ = "export_consumers"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    last_change_id: Mapped[int | None] = mapped_column(BigInteger)  # newest change exported
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pulled_at: Mapped[datetime] = mapped_column(UTCDateTime)  # last successful pull
    pulls: Mapped[int] = mapped_column(Integer)  # successful pulls so far
    rows: Mapped[int] = mapped_column(BigInteger)  # rows exported so far


class LearnedBoilerplateBlock(Base):
    """A text block that recurs on many archived pages of one outlet: boilerplate learned
    from the archive (``crawler boilerplate learn``), dropped from article bodies.

    Rows of an outlet are replaced as a whole each time it is learned again."""

    __tablename__ = "learned_boilerplate"
    __table_args__ = (UniqueConstraint("outlet", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet: Mapped[str] = mapped_column(String(255), index=True)  # domain, e.g. "baohatinh.vn"
    fingerprint: Mapped[str] = mapped_column(String(32))  # crawler.extraction.learned.fingerprint
    text: Mapped[str] = mapped_column(Text)  # one text it was learned from (for people)
    pages: Mapped[int] = mapped_column(Integer)  # sampled pages it appeared on
    sample_size: Mapped[int] = mapped_column(Integer)  # pages sampled when it was learned
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime)
