"""Crawl throughput and memory: the full crawl next to a fetch-only baseline, in one run.

    python -m benchmarks.crawl_throughput                 # 2,000 and 20,000 articles
    python -m benchmarks.crawl_throughput --sizes 400     # a quick run
    python -m benchmarks.crawl_throughput --sizes 2000 --modes baseline full full-pool

For each size the fake outlets (all eight papers, served by a separate process on loopback)
are backfilled twice, politeness off:

* **full**: the real crawl (extraction, normalisation, dedup, SQLite storage, WARC archive);
* **baseline**: the same spiders following the same links (robots.txt, sitemaps, feeds,
  listings, article pages) but doing nothing with what they fetch: no extraction, no
  pipelines, no WARC, no database look-ups;
* **full-pool** (on request, ``--modes``): the full crawl with extraction in a pool of one
  process per core (``ARCHIVE_EXTRACT_PROCESSES=auto``) instead of on the reactor thread.

Each crawl runs in its own process; pages/s is responses received over the crawl's own
elapsed time (Scrapy's stats). Peak RSS is the crawl process' maximum resident set size
plus that of its largest child, the storage writer process (its ``VmHWM``, read every half
second; the sum over-states the joint peak a little, the two maxima need not coincide);
the table shows both parts.
Targets: full ≥ 50% of the baseline's pages/s; peak RSS of the full crawl at the largest
size < 2× that at the smallest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTLETS = 8

# The child process: run one crawl and print its numbers as JSON on the last line.
CHILD = r"""
import json, os, resource, sys, threading, time
from scrapy.crawler import CrawlerProcess
from crawler.config import load_settings
from spiders.outlets import OUTLET_SPIDERS
from spiders.base import OutletSpider

mode, mirrors, data_dir = sys.argv[1], sys.argv[2], sys.argv[3]
settings = load_settings([
    f"ARCHIVE_MIRRORS={mirrors}", f"ARCHIVE_DATA_DIR={data_dir}",
    "AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "ARCHIVE_RESPECT_CRAWL_DELAY=false",
    "CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "LOG_LEVEL=WARNING",
    "ARCHIVE_RETRY_BACKOFF=0.05", "MEMUSAGE_ENABLED=False",
])


class _NoLedger:
    # The URL ledger's interface without a database: nothing known, nothing recorded.
    def __init__(self, crawler, outlet):
        self.outlet = outlet

    async def run(self, function, *args):
        return function(*args)

    async def lookup(self, urls):
        return {}

    async def due(self, since, until, backfill):
        return []

    async def horizon(self, first_days):
        raise AssertionError("the benchmark backfills")

    def last_complete_crawl(self, name):
        return None

    def discovered(self, entries): pass
    def visited(self, url, kind, lastmod=None): pass
    def failed(self, url, reason, status=None, *, gone=False): pass
    def deferred(self, url, reason, published): pass


def baseline(cls):
    # Same discovery, nothing done with articles, no database.
    def parse_article(self, response):
        return iter(())

    return type(cls.__name__ + "Baseline", (cls,), {"parse_article": parse_article})


if mode == "full-pool":
    settings.set("ARCHIVE_EXTRACT_PROCESSES", "auto", priority="cmdline")
if mode == "baseline":
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set("EXTENSIONS", {}, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    import spiders.base as base
    base.Frontier = _NoLedger  # the spider's view of the URL ledger
    classes = [baseline(c) for c in OUTLET_SPIDERS.values()]
else:
    classes = list(OUTLET_SPIDERS.values())

# Peak RSS of the storage writer process: its VmHWM, read from /proc while it runs (fork
# accounting makes RUSAGE_CHILDREN count the parent's pages for every child it starts).
writer_peak = {}


def watch_children():
    me, known, last_scan = str(os.getpid()), set(), 0.0
    while True:
        if time.monotonic() - last_scan > 5:
            last_scan = time.monotonic()
            for entry in os.listdir("/proc"):
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        if stat.read().rsplit(")", 1)[1].split()[1] == me:
                            known.add(entry)
                except (OSError, IndexError):
                    pass
        for pid in list(known):
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            peak = int(line.split()[1]) * 1024
                            writer_peak[pid] = max(writer_peak.get(pid, 0), peak)
            except OSError:
                known.discard(pid)
        time.sleep(0.5)


threading.Thread(target=watch_children, daemon=True).start()
process = CrawlerProcess(settings, install_root_handler=False)
crawlers = []
for cls in classes:
    c = process.create_crawler(cls)
    process.crawl(c, since="2000-01-01")
    crawlers.append(c)
start = time.perf_counter()
process.start()
elapsed = time.perf_counter() - start
stats = [c.stats.get_stats() for c in crawlers]
pages = sum(s.get("response_received_count", 0) for s in stats)
stored = ("archive/store/stored", "archive/store/duplicate")
articles = sum(s.get(key, 0) for s in stats for key in stored)
reasons = sorted({str(s.get("finish_reason")) for s in stats})
rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
rss_children = max(writer_peak.values(), default=0)
print(json.dumps({"pages": pages, "articles": articles, "seconds": elapsed,
                  "peak_rss": rss_self + rss_children, "peak_rss_crawl": rss_self,
                  "peak_rss_writer": rss_children, "finish": reasons}))
"""


def start_server(articles_per_outlet: int) -> tuple[subprocess.Popen[str], str]:
    """The fake outlets in their own process; returns it and its origin."""
    from crawler.fakeoutlets.server import start_in_subprocess

    return start_in_subprocess(articles_per_outlet)


def run_child(mode: str, mirrors: str, data_dir: Path) -> dict[str, Any]:
    """One crawl in a fresh process."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, mode, mirrors, str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def measure(
    total_articles: int, modes: tuple[str, ...] = ("baseline", "full")
) -> dict[str, dict[str, Any]]:
    """The crawls of ``modes`` of fake outlets holding ``total_articles`` synthetic articles."""
    per_outlet = max(1, total_articles // OUTLETS)
    server, origin = start_server(per_outlet)
    try:
        from crawler.outlets import all_profiles

        mirrors = json.dumps({p.domain: origin for p in all_profiles()})
        results: dict[str, dict[str, Any]] = {}
        for mode in modes:
            with tempfile.TemporaryDirectory(prefix=f"crawlbench-{mode}-") as tmp:
                results[mode] = run_child(mode, mirrors, Path(tmp))
                print(
                    f"  {total_articles:>6} articles, {mode:<8}: {results[mode]['pages']} pages "
                    f"in {results[mode]['seconds']:.1f}s",
                    file=sys.stderr,
                    flush=True,
                )
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def table(
    sizes: list[int],
    results: dict[int, dict[str, dict[str, Any]]],
    modes: tuple[str, ...] = ("baseline", "full"),
) -> str:
    """The Markdown table of one run."""
    lines = [
        "| articles | crawl | pages | articles stored | seconds | pages/s | articles/s "
        "| peak RSS (MiB): crawl + writer |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        for mode in modes:
            r = results[size][mode]
            pages_s = r["pages"] / r["seconds"]
            articles_s = r["articles"] / r["seconds"] if mode != "baseline" else float("nan")
            lines.append(
                f"| {size:,} | {mode} | {r['pages']:,} | "
                f"{r['articles'] if mode != 'baseline' else '-'} | {r['seconds']:.1f} | "
                f"{pages_s:.1f} | {'-' if mode == 'baseline' else f'{articles_s:.1f}'} | "
                f"{r['peak_rss'] / 2**20:.0f} ({r['peak_rss_crawl'] / 2**20:.0f} + "
                f"{r['peak_rss_writer'] / 2**20:.0f}) |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["baseline", "full"],
        choices=["baseline", "full", "full-pool"],
        help="crawls to run (baseline and full are needed for the targets)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    modes = tuple(args.modes)
    results: dict[int, dict[str, dict[str, Any]]] = {}
    started = time.perf_counter()
    for size in sizes:
        results[size] = measure(size, modes)
    print(table(sizes, results, modes))
    if "full" not in modes or "baseline" not in modes:
        return 0
    print()
    lines = []
    for size in sizes:
        full, base = results[size]["full"], results[size]["baseline"]
        ratio = (full["pages"] / full["seconds"]) / (base["pages"] / base["seconds"])
        verdict = "PASS" if ratio >= 0.5 else "FAIL"
        lines.append(f"- {verdict}: full crawl at {ratio:.0%} of the baseline's pages/s ({size:,})")
    if len(sizes) > 1:
        growth = results[sizes[-1]]["full"]["peak_rss"] / results[sizes[0]]["full"]["peak_rss"]
        verdict = "PASS" if growth < 2 else "FAIL"
        lines.append(
            f"- {verdict}: peak RSS grows {growth:.2f}x from {sizes[0]:,} to {sizes[-1]:,} articles"
        )
    print("Targets: full crawl >= 50% of baseline pages/s; peak RSS growth < 2x")
    print("\n".join(lines))
    print(f"\n(total benchmark time {time.perf_counter() - started:.0f}s, {os.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
