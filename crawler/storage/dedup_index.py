"""The persistent dedup index: body hashes (exact) and MinHash LSH buckets (near).

* ``body_hashes`` has the normalised body hash as primary key, pointing at the first article
  with that body; claiming it is ``INSERT … ON CONFLICT DO NOTHING``, so two writers storing
  the same body at once still agree on one original.
* Near duplicates — see :mod:`crawler.dedup.minhash`. Only *roots* (articles that are neither
  exact nor near duplicates) are indexed: their signature in ``near_dup_signatures`` and one
  row per LSH band in ``near_dup_buckets``. A lookup is two indexed queries whatever the
  archive size: bucket keys → candidate ids, then their signatures.
* PostgreSQL's planner statistics of these fast-growing tables are refreshed by the writer
  itself (:meth:`NearDupIndex.maybe_analyze`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, text

from crawler.dedup import minhash
from crawler.storage.tables import (
    ARTICLES,
    BODY_HASHES,
    BUCKETS,
    PAGES,
    SIGNATURES,
    dialect_key,
    insert_for,
    on_conflict_nothing,
    placeholder,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from sqlalchemy import Connection

ANALYZED_TABLES = (BUCKETS, SIGNATURES, BODY_HASHES, ARTICLES, PAGES)
"""Tables whose PostgreSQL statistics :meth:`NearDupIndex.maybe_analyze` refreshes."""

ANALYZE_MIN_ROWS = 20_000
"""Bucket rows committed before the first ``ANALYZE`` of a writer (about 600 stories)."""


@dataclass(frozen=True)
class _Statements:
    body_owner: Any
    claim_body: Any
    candidates: Any
    signatures: Any
    insert_signature: Any
    raw_buckets: str
    raw_signature: str


@cache
def _statements(key: tuple[str, str]) -> _Statements:
    dialect, paramstyle = key
    hits = func.count().label("hits")
    mark = placeholder(paramstyle)
    return _Statements(
        body_owner=select(BODY_HASHES.c.article_id).where(BODY_HASHES.c.hash == bindparam("hash")),
        claim_body=on_conflict_nothing(dialect, BODY_HASHES, "hash").returning(BODY_HASHES.c.hash),
        candidates=(
            select(BUCKETS.c.article_id, hits)
            .where(BUCKETS.c.bucket.in_(bindparam("keys", expanding=True)))
            .group_by(BUCKETS.c.article_id)
            .order_by(hits.desc(), BUCKETS.c.article_id)
            .limit(minhash.MAX_CANDIDATES)
        ),
        signatures=select(SIGNATURES.c.article_id, SIGNATURES.c.signature).where(
            SIGNATURES.c.article_id.in_(bindparam("ids", expanding=True)),
            SIGNATURES.c.sketch == minhash.SKETCH_ID,
        ),
        insert_signature=insert_for(dialect, SIGNATURES),
        # The bulk of every batch (BANDS rows per indexed article) goes straight to the
        # driver's executemany with tuples: no per-row parameter processing by SQLAlchemy.
        raw_buckets=(
            f"INSERT INTO {BUCKETS.name} (bucket, article_id) VALUES ({mark}, {mark}) "
            "ON CONFLICT (bucket, article_id) DO NOTHING"
        ),
        raw_signature=(
            f"INSERT INTO {SIGNATURES.name} (article_id, sketch, signature) "
            f"VALUES ({mark}, {mark}, {mark})"
        ),
    )


def body_owner(conn: Connection, body_hash: str) -> int | None:
    """The first article stored with this normalised body, if any."""
    owner = conn.execute(_statements(dialect_key(conn)).body_owner, {"hash": body_hash}).scalar()
    return None if owner is None else int(owner)


def body_owners(conn: Connection, hashes: Iterable[str]) -> dict[str, int]:
    """:func:`body_owner` of many hashes in one query."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    query = select(BODY_HASHES.c.hash, BODY_HASHES.c.article_id).where(
        BODY_HASHES.c.hash.in_(wanted)
    )
    return {str(h): int(a) for h, a in conn.execute(query).all()}


def claim_bodies(conn: Connection, claims: Sequence[dict[str, Any]]) -> set[str]:
    """Claim body hashes (``{"hash", "article_id"}`` rows); the hashes this call claimed.

    A hash missing from the result was claimed first by another article."""
    if not claims:
        return set()
    stmt = _statements(dialect_key(conn)).claim_body
    return {str(h) for h in conn.execute(stmt, list(claims)).scalars().all()}


class NearDupIndex:
    """The MinHash LSH index in the database, with the writer's statistics bookkeeping.

    Counts the bucket rows it writes (:meth:`commit` / :meth:`rollback` follow the
    transaction) to decide when PostgreSQL's statistics are due (:meth:`maybe_analyze`).
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._pending_rows = 0
        self._rows_since_analyze = 0
        self._rows_at_analyze: int | None = None

    # --- transaction bookkeeping ---------------------------------------------------------------

    def commit(self) -> None:
        """Count the rows of the transaction that just committed."""
        self._rows_since_analyze += self._pending_rows
        self._pending_rows = 0

    def rollback(self) -> None:
        """Forget the rows of the transaction that was rolled back."""
        self._pending_rows = 0

    # --- lookups -------------------------------------------------------------------------------

    def find(
        self, conn: Connection, sig: Any, exclude: int | None = None
    ) -> tuple[int, float] | None:
        """The most similar indexed article at or above the threshold, with its similarity.

        Two indexed queries whatever the archive size: bucket keys → candidate ids (ranked
        by shared buckets, at most :data:`minhash.MAX_CANDIDATES`), then their signatures.
        """
        sql = _statements(dialect_key(conn))
        candidates = conn.execute(sql.candidates, {"keys": minhash.band_keys(sig)}).all()
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

    def bucket_members(self, conn: Connection, keys: Iterable[int]) -> dict[int, list[int]]:
        """Indexed article ids per bucket key, for many keys in one query."""
        wanted = sorted(set(keys))
        members: dict[int, list[int]] = {}
        if wanted:
            query = select(BUCKETS.c.bucket, BUCKETS.c.article_id).where(
                BUCKETS.c.bucket.in_(wanted)
            )
            for bucket, article_id in conn.execute(query):
                members.setdefault(int(bucket), []).append(int(article_id))
        return members

    def signatures(self, conn: Connection, ids: Iterable[int]) -> dict[int, Any]:
        """Stored signatures of indexed articles, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        stmt = _statements(dialect_key(conn)).signatures
        return {
            int(cand_id): minhash.from_bytes(blob)
            for cand_id, blob in conn.execute(stmt, {"ids": wanted})
        }

    # --- writes --------------------------------------------------------------------------------

    def add(self, conn: Connection, article_id: int, sig: Any) -> None:
        """Add an article's signature and bucket keys to the index."""
        sql = _statements(dialect_key(conn))
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
        self._pending_rows += len(keys)

    def add_many(
        self,
        conn: Connection,
        signatures: Sequence[tuple[int, Any]],
        buckets: Sequence[tuple[int, int]],
    ) -> None:
        """Add many roots at once: ``(article_id, signature)`` and ``(bucket, article_id)``."""
        sql = _statements(dialect_key(conn))
        if signatures:
            rows = [(a, minhash.SKETCH_ID, minhash.to_bytes(sig)) for a, sig in signatures]
            conn.exec_driver_sql(sql.raw_signature, rows)
        if buckets:
            conn.exec_driver_sql(sql.raw_buckets, list(buckets))
            self._pending_rows += len(buckets)

    def replace(self, conn: Connection, article_id: int, signature: Callable[[], Any]) -> None:
        """A root's new text: its index entry follows (a non-root stays out of the index).

        ``signature`` computes the new text's signature, only when the article is a root."""
        indexed = conn.execute(
            select(SIGNATURES.c.article_id).where(SIGNATURES.c.article_id == article_id)
        ).scalar()
        if indexed is None:
            return
        conn.execute(BUCKETS.delete().where(BUCKETS.c.article_id == article_id))
        conn.execute(SIGNATURES.delete().where(SIGNATURES.c.article_id == article_id))
        sig = signature()
        if sig is not None:
            self.add(conn, article_id, sig)

    # --- planner statistics ----------------------------------------------------------------------

    def analyze_due(self) -> bool:
        """Whether :meth:`maybe_analyze` may have work (no database access)."""
        return self._rows_since_analyze >= max(ANALYZE_MIN_ROWS, self._rows_at_analyze or 0)

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
        if self._rows_at_analyze is None:
            estimate = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": BUCKETS.name},
            ).scalar()
            self._rows_at_analyze = max(0, int(estimate or 0))
        if self._rows_since_analyze < max(ANALYZE_MIN_ROWS, self._rows_at_analyze):
            return False
        conn.execute(text(f"ANALYZE {', '.join(t.name for t in ANALYZED_TABLES)}"))
        self._rows_at_analyze += self._rows_since_analyze
        self._rows_since_analyze = 0
        return True
