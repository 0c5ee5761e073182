"""Benchmark of exports: a plain full export next to the partitioned dataset and a consumer's
pull, at two archive sizes, in one run; then an incremental pull after k new articles.

    python benchmarks/export_throughput.py                  # N = 10,000 and 100,000 (README)
    python benchmarks/export_throughput.py --sizes 2000 10000   # a quicker run

One SQLite archive (in a temporary folder) is filled with synthetic Vietnamese articles of
realistic size (headline, sapo, 8-18 paragraphs: about 4 kB of text; authors, tags, two
images; publication times spread over 2019-2026, eight outlets, so about 770 outlet x month
partitions) written straight into ``articles`` and ``changes`` (storage speed is
``store_dedup.py``'s subject, not this one's). At each size N, each export runs as
``crawler export`` in its own process, timed from start to exit, and its peak RSS read from
the kernel (``wait4``):

* **plain** — ``--format parquet -o FILE`` (one file, id order): the baseline;
* **dataset** — ``--partition outlet,month -o DIR`` (the hive-partitioned dataset);
* **pull** — ``--consumer bench --format parquet --partition outlet,month -o DIR``: the
  first pull of a consumer (everything, through the change log) into a dataset.

Targets: the dataset at N = 100,000 at >= 5,000 articles/s, and peak RSS flat between the
two sizes (ratio <= 1.2). Finally k new articles and m edits are stored through the
repository (the crawl's write path) and the consumer pulls again: it must export exactly
k + m rows.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.dedup.synthetic import Generator
from crawler.items import Article
from crawler.storage import db
from crawler.storage.repository import Repository
from crawler.storage.tables import ARTICLES, CHANGES, OUTLETS, utcnow

ROOT = Path(__file__).resolve().parents[1]
OUTLET_DOMAINS = (
    "baohatinh.vn", "baonghean.vn", "baoquangtri.vn", "baohaugiang.com.vn",
    "baocantho.com.vn", "baogialai.com.vn", "baodanang.vn", "baohaiphong.vn",
)  # fmt: skip
START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_S = int((datetime(2026, 12, 1, tzinfo=UTC) - START).total_seconds())


class Filler:
    """Synthetic article rows from a pool of generated paragraphs (fast to combine)."""

    def __init__(self, seed: int = 13) -> None:
        gen = Generator(seed)
        self.rng = random.Random(seed)
        self.paragraphs = [gen.paragraph() for _ in range(3000)]
        self.sentences = [gen.sentence(self.rng.randint(10, 25)) for _ in range(3000)]
        self.long = [gen.sentence(self.rng.randint(30, 60)) for _ in range(2000)]

    def row(self, i: int, outlet_ids: list[int], now: datetime) -> dict[str, Any]:
        rng = self.rng
        outlet = rng.randrange(len(outlet_ids))
        domain = OUTLET_DOMAINS[outlet]
        published = START + timedelta(seconds=rng.randrange(SPAN_S))
        body = "\n".join(rng.choices(self.paragraphs, k=rng.randint(8, 18)))
        url = f"https://{domain}/tin-{i}-post{i}.html"
        return {
            "canonical_url": url,
            "url": url,
            "outlet_id": outlet_ids[outlet],
            "title": rng.choice(self.sentences).rstrip("."),
            "sapo": rng.choice(self.long),
            "body": body,
            "authors": ["Trường Sơn", "Hà Linh"][: rng.randint(1, 2)],
            "tags": ["kinh tế", "xã hội", "nông thôn mới"][: rng.randint(0, 3)],
            "images": [
                {"url": f"https://{domain}/img/{i}-{k}.jpg", "caption": rng.choice(self.sentences)}
                for k in range(2)
            ],
            "published_at": published,
            "modified_at": None,
            "category": "Thời sự",
            "language": "vi",
            "slug": f"tin-{i}",
            "extractor_version": "bench",
            "body_hash": None,
            "content_hash": f"{i:064d}",
            "duplicate_of": None,
            "near_duplicate_of": None,
            "near_similarity": None,
            "version": 1,
            "first_seen": now,
            "last_seen": now,
        }


def fill(engine: Any, filler: Filler, start: int, stop: int) -> None:
    """Insert articles ``start``..``stop - 1`` (and their "new" changes)."""
    now = utcnow()
    with engine.begin() as conn:
        ids = dict(
            conn.execute(OUTLETS.select().with_only_columns(OUTLETS.c.domain, OUTLETS.c.id)).all()
        )
        missing = [d for d in OUTLET_DOMAINS if d not in ids]
        if missing:
            conn.execute(OUTLETS.insert(), [{"domain": d, "first_seen": now} for d in missing])
            ids = dict(
                conn.execute(
                    OUTLETS.select().with_only_columns(OUTLETS.c.domain, OUTLETS.c.id)
                ).all()
            )
    outlet_ids = [ids[d] for d in OUTLET_DOMAINS]
    for chunk in range(start, stop, 5000):
        rows = [filler.row(i, outlet_ids, now) for i in range(chunk, min(stop, chunk + 5000))]
        with engine.begin() as conn:
            result = conn.execute(ARTICLES.insert().returning(ARTICLES.c.id), rows)
            article_ids = [int(r[0]) for r in result]
            conn.execute(
                CHANGES.insert(),
                [
                    {"article_id": a, "kind": "new", "version": 1, "recorded_at": now}
                    for a in article_ids
                ],
            )


def store_changes(engine: Any, top: int, new: int, edits: int) -> int:
    """Store ``new`` articles and edit ``edits`` of the first ``top`` through the repository
    (batches of 200, as a crawl writes); the number of new stories."""
    repo = Repository()
    gen = Generator(99)
    items = []
    for i in range(new):
        art = gen.original()
        url = f"https://baohatinh.vn/moi-{i}-post{i}.html"
        items.append(Article(url=url, title=art.title, sapo=art.sapo, body=art.body, language="vi"))
    edited = random.Random(5).sample(range(1, top + 1), edits)
    a = ARTICLES.c
    with engine.connect() as conn:
        query = ARTICLES.select().with_only_columns(a.id, a.url).where(a.id.in_(edited))
        urls = dict(conn.execute(query).all())
    for article_id in edited:
        title = f"Cập nhật {article_id}"
        items.append(Article(url=urls[article_id], title=title, body=gen.paragraph()))
    for start in range(0, len(items), 200):
        ops = [("article", item, utcnow()) for item in items[start : start + 200]]
        with engine.begin() as conn:
            repo.store_batch(conn, ops, None)
        repo.commit_caches()
    with engine.connect() as conn:
        query = (
            ARTICLES.select()
            .with_only_columns(a.id)
            .where(a.id > top, a.duplicate_of.is_(None), a.near_duplicate_of.is_(None))
        )
        return len(conn.execute(query).all())


def run_export(data_dir: Path, *args: str) -> tuple[float, float, str]:
    """``crawler export ARGS`` in a child process: seconds, peak RSS (MiB), stderr."""
    env = dict(os.environ, ARCHIVE_DATA_DIR=str(data_dir))
    env.pop("ARCHIVE_DATABASE_URL", None)
    command = [sys.executable, "-m", "crawler.cli", "export", "--no-progress", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"export failed ({status}): {' '.join(args)}\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024, stderr.strip()


def rows_of(stderr: str) -> int:
    """The article count of ``crawler export``'s summary line."""
    return int(stderr.split("crawler export: ", 1)[1].split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--new", type=int, default=1000, help="k new articles for the last pull")
    parser.add_argument("--edits", type=int, default=500, help="m edited articles")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    results: list[tuple[int, str, int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        engine = db.make_engine(f"sqlite:///{data_dir / 'archive.sqlite3'}")
        filler = Filler()
        have = 0
        for n in sizes:
            t0 = time.perf_counter()
            fill(engine, filler, have, n)
            have = n
            print(f"filled {n:,} articles in {time.perf_counter() - t0:.1f} s", flush=True)
            out = Path(tmp) / f"out-{n}"
            pulled = str(out / "pulled")
            runs = {
                "plain": ("--format", "parquet", "-o", str(out / "plain.parquet")),
                "dataset": ("--partition", "outlet,month", "-o", str(out / "dataset")),
                "pull": ("--consumer", f"bench-{n}", "--partition", "outlet,month", "-o", pulled),
            }
            for name, export_args in runs.items():
                seconds, rss, stderr = run_export(data_dir, *export_args)
                rows = rows_of(stderr)
                assert rows == n, stderr
                results.append((n, name, rows, seconds, rss))
                rate = rows / seconds
                print(f"  {name:<8} {rows:>8,} rows {seconds:7.1f} s {rate:8,.0f}/s", end="")
                print(f" peak RSS {rss:6.0f} MiB", flush=True)
        # Incremental: k new articles and m edits through the crawl's write path.
        top = sizes[-1]
        k = store_changes(engine, top, args.new, args.edits)
        out = Path(tmp) / f"out-{top}"
        pull_seconds, _, stderr = run_export(
            data_dir, "--consumer", f"bench-{top}", "--partition", "outlet,month",
            "-o", str(out / "pulled"),
        )  # fmt: skip
        pulled = rows_of(stderr)
        engine.dispose()

    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine load average at the end (1, 5, 15 min; {os.cpu_count()} cores): {load}")
    print("| N | export | rows | seconds | articles/s | peak RSS (MiB) |")
    print("|---:|---|---:|---:|---:|---:|")
    for n, name, rows, seconds, rss in results:
        print(f"| {n:,} | {name} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} | {rss:.0f} |")
    by = {(n, name): (rows / seconds, rss) for n, name, rows, seconds, rss in results}
    low, high = sizes[0], sizes[-1]
    print()
    for name in ("plain", "dataset", "pull"):
        rate, rss_high = by[(high, name)]
        rss_ratio = rss_high / by[(low, name)][1]
        print(
            f"{name}: {rate:,.0f} articles/s at {high:,}; "
            f"peak RSS {high:,}/{low:,} = {rss_ratio:.2f}"
        )
    rate, rss_high = by[(high, "dataset")]
    ratio = rss_high / by[(low, "dataset")][1]
    print(
        f"target dataset >= 5,000 articles/s: {'met' if rate >= 5000 else 'NOT met'} ({rate:,.0f})"
    )
    print(f"target flat RSS (ratio <= 1.2): {'met' if ratio <= 1.2 else 'NOT met'} ({ratio:.2f})")
    verdict = "exactly k + m" if pulled == k + args.edits else "NOT k + m"
    print(
        f"incremental pull after {k} new stories and {args.edits} edits: {pulled} rows in "
        f"{pull_seconds:.1f} s ({verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
