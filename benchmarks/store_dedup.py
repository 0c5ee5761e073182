"""Benchmark of the store and dedup pipelines on SQLite and PostgreSQL, side by side.

    python benchmarks/store_dedup.py                 # N = 10,000 and 100,000 (the README table)
    python benchmarks/store_dedup.py --quick         # N = 1,000 and 5,000, a smoke run
    python benchmarks/store_dedup.py --sizes 2000 20000 --backends sqlite

For each backend it starts from an empty database (a SQLite file in a temporary folder; a
fresh PostgreSQL schema, dropped afterwards) and feeds synthetic articles
(:mod:`crawler.dedup.synthetic`: realistic Vietnamese lengths, about 10 % near-duplicate
variants with known originals) exactly as a crawl does: a page record per response, then the
article through :class:`pipelines.normalize.NormalizePipeline` and the store pipeline's
background :class:`crawler.storage.writer.StorageWriter` (batches of up to ``--batch``
articles, one transaction each), writing from its child process as in a crawl
(``--thread``: from a thread of this process instead). It prints:

* **articles/s** — articles stored per second from the first item to the last commit, over
  the whole run up to the largest N (and over the stretch ending at each checkpoint);
* **precision / recall** of near-duplicate detection against the known pairs: a predicted
  link (``near_duplicate_of`` or ``duplicate_of``) is correct when both articles belong to
  the same generated story; recall is the share of variants linked to their story;
* **dedup cost** — at each checkpoint N, feeding pauses and 1,000 probe articles (90 % new,
  10 % variants of stored ones) are deduplicated against the archive without being stored:
  normalisation, hashes, MinHash signature, exact-hash lookup and the LSH lookup with
  verification. The mean per article at the largest N divided by the smallest is the
  **cost ratio** (1.0 = does not grow with the archive).

It runs offline; PostgreSQL is ``--pg-url`` (default ``ARCHIVE_TEST_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler import settings as crawl_settings
from crawler.dedup import minhash
from crawler.dedup.synthetic import Generator, SyntheticArticle
from crawler.items import Article
from crawler.storage import db, dedup_index
from crawler.storage.dedup_index import NearDupIndex
from crawler.storage.records import PageRecord
from crawler.storage.tables import ARTICLES, utcnow
from crawler.storage.versions import prepare
from crawler.storage.writer import StorageWriter
from pipelines.normalize import NormalizePipeline

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    """Figures of one backend."""

    backend: str
    rate: float = 0.0
    rates: dict[int, float] = field(default_factory=dict)
    cost_ms: dict[int, float] = field(default_factory=dict)
    precision: float = 0.0
    recall: float = 0.0
    predicted: int = 0
    variants: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def to_item(a: SyntheticArticle) -> Article:
    """The article item a spider would yield for a synthetic article."""
    return Article(
        url=a.url,
        outlet=a.outlet,
        title=a.title,
        sapo=a.sapo,
        body=a.body,
        published_at=a.published_at,
        authors=["Phóng viên"],
        tags=["thời sự"],
        language="vi",
        extractor_version="bench",
    )


def probe_cost(engine: Any, probes: list[Article], threshold: float) -> float:
    """Mean milliseconds to deduplicate one probe article against the archive (no write)."""
    index = NearDupIndex(threshold)
    with engine.connect() as conn:
        start = time.perf_counter()
        for item in probes:
            p = prepare(item, utcnow())
            if p.bhash and dedup_index.body_owner(conn, p.bhash) is not None:
                continue
            sig = minhash.signature((p.fields["title"], p.fields["sapo"], p.fields["body"]))
            if sig is not None:
                index.find(conn, sig)
        elapsed = time.perf_counter() - start
        conn.rollback()
    return elapsed / len(probes) * 1000


def run_backend(
    backend: str,
    url: str,
    articles: list[SyntheticArticle],
    sizes: list[int],
    batch: int,
    threshold: float,
    process: bool = True,
) -> Result:
    """Feed the articles into an empty database; measure at each checkpoint size."""
    result = Result(backend)
    engine = db.make_engine(url)
    writer = StorageWriter(
        functools.partial(db.make_engine, url),
        batch_size=batch,
        threshold=threshold,
        spiders=["bench"],
        process=process,
    )
    writer.start()
    normalize = NormalizePipeline()
    gen = Generator(seed=777)
    total_time = 0.0
    done = 0
    for size in sorted(sizes):
        start = time.perf_counter()
        for a in articles[done:size]:
            if writer.full():
                writer.wait_for_room()
            writer.submit("page", PageRecord(url=a.url, status=200, fetched_at=utcnow()))
            writer.submit("article", normalize.process_item(to_item(a)))
        writer.flush()
        elapsed = time.perf_counter() - start
        total_time += elapsed
        result.rates[size] = (size - done) / elapsed
        done = size
        # Probe: 90 % new stories, 10 % variants of stored ones.
        probes = [
            to_item(gen.variant(articles[gen.rng.randrange(size)]))
            if i % 10 == 0
            else to_item(gen.original())
            for i in range(1000)
        ]
        result.cost_ms[size] = probe_cost(engine, probes, threshold)
        print(
            f"  {backend}: {size:>7,} stored, {result.rates[size]:6.0f} articles/s, "
            f"dedup {result.cost_ms[size]:.3f} ms/article",
            file=sys.stderr,
        )
    writer.close()
    result.rate = done / total_time
    result.counts = dict(writer.counts)
    evaluate(engine, articles[:done], result)
    engine.dispose()
    return result


def evaluate(engine: Any, articles: list[SyntheticArticle], result: Result) -> None:
    """Precision and recall of duplicate links against the generated stories."""
    story = {a.url: a.original_url or a.url for a in articles}
    variants = {a.url for a in articles if a.original_url}
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ARTICLES.c.id, ARTICLES.c.url, ARTICLES.c.duplicate_of, ARTICLES.c.near_duplicate_of
            )
        ).all()
    url_of = {r.id: r.url for r in rows}
    correct = predicted = found = 0
    for r in rows:
        target = r.duplicate_of or r.near_duplicate_of
        if target is None:
            continue
        predicted += 1
        if story[url_of[target]] == story[r.url]:
            correct += 1
            if r.url in variants:
                found += 1
    result.predicted = predicted
    result.variants = len(variants)
    result.precision = correct / predicted if predicted else 1.0
    result.recall = found / len(variants) if variants else 1.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--quick", action="store_true", help="N = 1,000 and 5,000")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=os.environ.get("ARCHIVE_TEST_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument(
        "--batch",
        type=int,
        default=crawl_settings.ARCHIVE_BATCH_SIZE,
        help="articles per transaction at most (default: ARCHIVE_BATCH_SIZE, as in a crawl)",
    )
    parser.add_argument("--threshold", type=float, default=minhash.DEFAULT_THRESHOLD)
    parser.add_argument("--near-dup-ratio", type=float, default=0.1)
    parser.add_argument("--thread", action="store_true", help="write from a thread, not a process")
    args = parser.parse_args(argv)
    sizes = [1_000, 5_000] if args.quick else sorted(args.sizes)
    n = max(sizes)
    print(f"generating {n:,} synthetic articles…", file=sys.stderr)
    articles = list(Generator(seed=2024).stream(n, near_dup_ratio=args.near_dup_ratio))
    results: list[Result] = []
    for backend in args.backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
                results.append(
                    run_backend(
                        backend, url, articles, sizes, args.batch, args.threshold, not args.thread
                    )
                )
        elif backend == "postgresql":
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            admin = create_engine(args.pg_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.pg_url else "?"
            url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
            try:
                results.append(
                    run_backend(
                        backend, url, articles, sizes, args.batch, args.threshold, not args.thread
                    )
                )
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
        else:
            parser.error(f"unknown backend {backend}")
    print_table(results, sizes, args)
    return 0


def print_table(results: list[Result], sizes: list[int], args: argparse.Namespace) -> None:
    """The Markdown table of the README."""
    lo, hi = min(sizes), max(sizes)
    names = [r.backend for r in results]
    print(
        f"\nstore + dedup, N up to {hi:,} synthetic articles "
        f"({args.near_dup_ratio:.0%} near-duplicates), batch {args.batch}, "
        f"threshold {args.threshold}, writer in a {'thread' if args.thread else 'process'}, "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| metric | " + " | ".join(names) + " | target |")
    print("|---|" + "---|" * len(names) + "---|")

    def row(label: str, values: list[str], target: str) -> None:
        print(f"| {label} | " + " | ".join(values) + f" | {target} |")

    row("articles stored / s (whole run)", [f"{r.rate:,.0f}" for r in results], "≥ 500 (SQLite)")
    for size in sizes:
        row(
            f"articles / s, stretch ending at N={size:,}",
            [f"{r.rates[size]:,.0f}" for r in results],
            "",
        )
    row(
        "near-dup precision",
        [f"{r.precision:.4f} ({r.predicted:,} links)" for r in results],
        "≥ 0.99",
    )
    row("near-dup recall", [f"{r.recall:.4f} ({r.variants:,} variants)" for r in results], "≥ 0.95")
    for size in sizes:
        row(
            f"dedup cost / article at N={size:,}",
            [f"{r.cost_ms[size]:.3f} ms" for r in results],
            "",
        )
    row(
        f"cost ratio N={hi:,} / N={lo:,}",
        [f"{r.cost_ms[hi] / r.cost_ms[lo]:.2f}" for r in results],
        "≤ 1.5",
    )
    row(
        "writer outcomes",
        [", ".join(f"{k} {v:,}" for k, v in sorted(r.counts.items())) for r in results],
        "",
    )


if __name__ == "__main__":
    raise SystemExit(main())
