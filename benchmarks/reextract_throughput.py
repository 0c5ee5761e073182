"""Re-extraction throughput: archived pages of real size re-extracted per second, in one run.

    python -m benchmarks.reextract_throughput                # 1,000 pages
    python -m benchmarks.reextract_throughput --pages 200    # a quick run

The archive is built from the real article pages in ``shared/real-pages`` (baocantho.com.vn,
162 KB, a profiled outlet; plo.vn, 91 KB, on baohatinh's CMS, read by the generic path): each
archived page is one of them with its headline and every body paragraph replaced by
synthetic Vietnamese text of about the same length (:mod:`crawler.dedup.synthetic`), so no two
pages are alike and their size and markup stay the real ones. The pages are written to gzip
WARC files as a crawl writes them, extracted once and stored (SQLite) with their locations.

Then, on the same archive, one after the other:

* **trafilatura** — bare ``trafilatura.extract`` over the same records, read in file order,
  one process: the baseline;
* **reextract --jobs 1** and **--jobs 2** — ``crawler.reextract.reextract(force=True)``:
  records streamed in file/offset order, extracted, compared with the stored articles (all
  unchanged, so nothing is written but the run row), process start-up included.

Moonshot: 1 million pages in an hour on 2 cores, about 280 pages/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = (
    ("baocantho.com.vn/article.html", "https://baocantho.com.vn/bench-{n}-a{id}.html"),
    ("plo.vn/article.html", "https://plo.vn/bench-{n}-post{id}.html"),
)


def real_pages_dir() -> Path:
    """``shared/real-pages`` beside the checkout (or ``ARCHIVE_REAL_PAGES``)."""
    return Path(os.environ.get("ARCHIVE_REAL_PAGES") or ROOT.parent / "shared" / "real-pages")


def variant(template: bytes, n: int, url: str) -> bytes:
    """The template page at ``url`` with a new headline and new body text of the same
    lengths (its canonical URL is ``url``: every page is an article of its own)."""
    from crawler.dedup.synthetic import Generator

    gen = Generator(seed=n)
    root = lxml_html.fromstring(template)
    for link in root.xpath('//link[@rel="canonical"] | //meta[@property="og:url"]'):
        link.set("href" if link.tag == "link" else "content", url)
    for heading in root.iter("h1"):
        text = heading.text_content().strip()
        if len(text) > 20:
            _replace(heading, gen.sentence(max(8, len(text.split()))))
    for paragraph in root.iter("p"):
        text = paragraph.text_content().strip()
        if len(text) >= 60:
            words: list[str] = []
            while len(words) < len(text.split()):
                words += gen.paragraph().split()
            _replace(paragraph, " ".join(words[: len(text.split())]))
    out: bytes = lxml_html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")
    return out


def _replace(element: lxml_html.HtmlElement, text: str) -> None:
    attrib = dict(element.attrib)
    element.clear()
    element.attrib.update(attrib)
    element.text = text


def build(data_dir: Path, count: int) -> tuple[str, list[tuple[str, int, int]]]:
    """Write ``count`` pages to WARC files and store what they extract to; the database URL
    and the records' ``(file, offset, length)`` in file order."""
    from crawler.archive.writer import HttpExchange, WarcWriter
    from crawler.parallel import EXTRACT, FunctionPool
    from crawler.storage import db
    from crawler.storage.records import ExtractionFailure, PageRecord
    from crawler.storage.repository import Repository

    templates = [(real_pages_dir() / path).read_bytes() for path, _ in TEMPLATES]
    url = f"sqlite:///{data_dir / 'archive.sqlite3'}"
    engine = db.make_engine(url)
    repo = Repository()
    locations: list[tuple[str, int, int]] = []
    pages: list[tuple[str, bytes, PageRecord]] = []
    now = datetime.now(UTC)
    with WarcWriter(data_dir, prefix="bench", max_bytes=64 * 1024 * 1024) as warc:
        for n in range(count):
            template = n % len(TEMPLATES)
            page_url = TEMPLATES[template][1].format(n=n, id=100000 + n)
            body = variant(templates[template], n, page_url)
            where = warc.write(
                HttpExchange(
                    page_url,
                    200,
                    [("Content-Type", "text/html; charset=utf-8")],
                    body,
                )
            )
            locations.append((where.file, where.offset, where.length))
            record = PageRecord(page_url, 200, now, where.file, where.offset, where.length)
            pages.append((page_url, body, record))
    with FunctionPool(os.cpu_count() or 1) as pool:
        calls = [(body, page_url) for page_url, body, _ in pages]
        results = [future for _, future in pool.imap(EXTRACT, calls)]
    with engine.begin() as conn:
        run_id = repo.open_run(conn, ["bench"], "bench", now)
    for start in range(0, count, 200):
        ops = []
        for (page_url, _, record), future in zip(
            pages[start : start + 200], results[start : start + 200], strict=True
        ):
            ops.append(("page", record, now))
            try:
                outcome = future.result()  # a PageOutcome (EXTRACT is extract_page)
            except Exception as exc:
                ops.append(("failure", ExtractionFailure(page_url, str(exc)), now))
                continue
            if outcome.article is not None:
                ops.append(("article", outcome.article, now))
            else:
                reason = outcome.failure or "not an article"
                ops.append(("failure", ExtractionFailure(page_url, reason), now))
        with engine.begin() as conn:
            repo.store_batch(conn, ops, run_id)
        repo.commit_caches()
    engine.dispose()
    return url, locations


def bare_trafilatura(data_dir: Path, locations: list[tuple[str, int, int]]) -> float:
    """Seconds bare trafilatura takes over the records (read in file order)."""
    import trafilatura

    from crawler.archive.reader import read_record
    from crawler.archive.writer import WarcLocation

    started = time.perf_counter()
    for file, offset, length in locations:
        record = read_record(data_dir, WarcLocation(file, offset, length))
        trafilatura.extract(record.body.decode("utf-8", errors="replace"))
    return time.perf_counter() - started


def reextract_seconds(url: str, data_dir: Path, jobs: int) -> tuple[float, int]:
    """Seconds ``reextract(force=True, jobs=jobs)`` takes; pages examined."""
    from crawler.reextract import reextract
    from crawler.storage import db

    engine = db.make_engine(url)
    try:
        started = time.perf_counter()
        summary = reextract(engine, data_dir, force=True, jobs=jobs)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    assert summary.errors == 0 and summary.missing_warc == 0, summary.format()
    return seconds, summary.examined


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--jobs", default="1,2", help="job counts to run")
    args = parser.parse_args(argv)
    with TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        url, locations = build(data_dir, args.pages)
        built = time.perf_counter() - started
        sizes = []
        from crawler.archive.reader import read_record
        from crawler.archive.writer import WarcLocation

        for file, offset, length in locations[:50]:
            sizes.append(len(read_record(data_dir, WarcLocation(file, offset, length)).body))
        rows = [("bare trafilatura", 1, bare_trafilatura(data_dir, locations), len(locations))]
        for jobs in (int(j) for j in args.jobs.split(",")):
            seconds, examined = reextract_seconds(url, data_dir, jobs)
            rows.append((f"crawler reextract --jobs {jobs}", jobs, seconds, examined))
    base = rows[0][3] / rows[0][2]
    print(
        f"\n{args.pages:,} archived pages ({min(sizes) // 1024}-{max(sizes) // 1024} KB, "
        f"real templates), archive built in {built:.0f} s; {os.cpu_count()} cores (shared)\n"
    )
    print("| system | processes | pages | seconds | pages/s | x trafilatura | 1 M pages in |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, jobs, seconds, pages in rows:
        rate = pages / seconds
        print(
            f"| {name} | {jobs} | {pages:,} | {seconds:.1f} | {rate:.1f} | {rate / base:.2f} | "
            f"{1_000_000 / rate / 3600:.1f} h |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
