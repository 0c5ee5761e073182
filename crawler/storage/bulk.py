"""Many new articles at once: the set-oriented path of a storage batch.

Per-item statements cost more than the work itself, so articles at canonical URLs not in the
database (the common case of a crawl) are stored with a constant number of statements: one
``IN`` query each for body owners, LSH buckets and candidate signatures, and multi-row
inserts. Exact and near duplicates *within* the batch are found in memory with the same
rules as :mod:`crawler.storage.articles` applies one by one, so the result is the same as
storing the articles in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from crawler.dedup import minhash
from crawler.storage import changes, dedup_index
from crawler.storage.articles import StoreResult, article_row, insert_statement, mark_duplicate
from crawler.storage.tables import ARTICLES
from crawler.storage.versions import insert_versions, version_row

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from crawler.storage.dedup_index import NearDupIndex
    from crawler.storage.versions import Prepared


def insert_new_articles(
    conn: Connection,
    items: list[tuple[int, Prepared]],
    outlet_id: Callable[[Connection, Prepared], int | None],
    index: NearDupIndex,
    results: list[StoreResult | None],
) -> None:
    """Insert new articles (distinct canonical URLs not in the database) in bulk.

    ``items`` are ``(operation index, prepared article)``; each gets its :class:`StoreResult`
    in ``results`` at its index. An article whose URL a concurrent writer inserted meanwhile
    gets a result without ``article_id``: the caller stores it as a refetch instead.
    """
    _exact_duplicates(conn, items)
    _near_duplicates(conn, items, index)
    rows = [article_row(p, outlet_id(conn, p)) for _, p in items]
    returning = insert_statement(conn).returning(ARTICLES.c.id, ARTICLES.c.canonical_url)
    ids = {url: int(id_) for id_, url in conn.execute(returning, rows).all()}
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
        versions.append(version_row(article_id, 1, p))
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
    insert_versions(conn, versions)
    changes.record_versions(conn, versions)
    lost_claims: set[int] = set()
    claimed = dedup_index.claim_bodies(conn, claims)
    for claim in claims:
        if claim["hash"] in claimed:
            continue
        # A concurrent writer stored this body first.
        owner = dedup_index.body_owner(conn, claim["hash"])
        assert owner is not None
        mark_duplicate(conn, claim["article_id"], owner)
        lost_claims.add(claim["article_id"])
        for _, p in items:
            if ids.get(p.canonical) == claim["article_id"]:
                p.duplicate_of, p.near_of = owner, None
    signatures: list[tuple[int, Any]] = []
    buckets: list[tuple[int, int]] = []
    for i, p in items:
        article_id = index_of[i]
        if article_id is None:
            continue
        is_root = p.sig is not None and p.duplicate_of is None and p.near_of is None
        if is_root and article_id not in lost_claims:
            signatures.append((article_id, p.sig))
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
    index.add_many(conn, signatures, buckets)


def _exact_duplicates(conn: Connection, items: list[tuple[int, Prepared]]) -> None:
    """Owners of the bodies in the database, else the first article of the batch with it."""
    owners = dedup_index.body_owners(conn, (p.bhash for _, p in items if p.bhash))
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


def _near_duplicates(
    conn: Connection, items: list[tuple[int, Prepared]], index: NearDupIndex
) -> None:
    """Near duplicates: database candidates in two queries, the batch's roots in memory."""
    for _, p in items:
        if p.duplicate_of is None and p.duplicate_of_batch is None:
            p.sig = minhash.signature((p.fields["title"], p.fields["sapo"], p.fields["body"]))
            if p.sig is not None:
                p.keys = minhash.band_keys(p.sig)
    by_key = index.bucket_members(conn, (k for _, p in items for k in p.keys))
    wanted: dict[int, list[int]] = {}
    for i, p in items:
        if p.keys:
            hits: dict[int, int] = {}
            for k in p.keys:
                for a in by_key.get(k, ()):
                    hits[a] = hits.get(a, 0) + 1
            wanted[i] = sorted(hits, key=lambda a: (-hits[a], a))[: minhash.MAX_CANDIDATES]
    sigs = index.signatures(conn, (a for ids in wanted.values() for a in ids))
    prepared_at = dict(items)
    batch_roots: dict[int, list[int]] = {}  # bucket -> batch indexes of roots
    for i, p in items:
        if p.sig is None:
            continue
        best: tuple[int, float] | None = None
        for a in wanted.get(i, ()):
            if a in sigs:
                sim = minhash.similarity(p.sig, sigs[a])
                if sim >= index.threshold and (best is None or sim > best[1]):
                    best = (a, sim)
        best_batch: tuple[int, float] | None = None
        seen: set[int] = set()
        for k in p.keys:
            for j in batch_roots.get(k, ()):
                if j in seen:
                    continue
                seen.add(j)
                sim = minhash.similarity(p.sig, prepared_at[j].sig)
                if sim >= index.threshold and (best_batch is None or sim > best_batch[1]):
                    best_batch = (j, sim)
        if best_batch is not None and (best is None or best_batch[1] > best[1]):
            p.near_of_batch, p.similarity = best_batch
        elif best is not None:
            p.near_of, p.similarity = best
        else:
            for k in p.keys:
                batch_roots.setdefault(k, []).append(i)
