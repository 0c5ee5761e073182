"""Listing and sitemap parsing: the new streaming/linear code next to what the spider used, in
one run.

    python -m benchmarks.discovery_parsing                 # the README table
    python -m benchmarks.discovery_parsing --quick         # 250/1,000 links, 1k/10k URLs
    python -m benchmarks.discovery_parsing --old-max-links 8000   # also time the old code there

**Listings.** Two real category pages (``../shared/real-pages``): baocantho.com.vn (its
entries print no date) and znews.vn (they do), each with its list of entries repeated until
it holds N entry links (fresh URLs, same markup), so chrome, scripts and entries are a real
outlet's. *old* is ``dated_links`` as ``spiders/base.py`` had it (copied below: per link,
XPath over up to three ancestors, which re-reads each ancestor's links and text), given a
Scrapy ``HtmlResponse``; *new* is :func:`crawler.discovery.listings.read_listing` (one
parse, one bottom-up pass), given the body. The old code is quadratic where an entry prints
no date (it then reads the whole list's links and text for every link), so by default it is
timed up to 2,000 links only (``--old-max-links``): 8,000 takes many minutes ("not run").

**Sitemaps.** A ``<urlset>`` of N URLs with ``lastmod`` and Google News tags (about 420
bytes a URL; 120,000 URLs is just under the protocol's 50 MiB). *Scrapy Sitemap* iterates
``scrapy.utils.sitemap.Sitemap`` (no dates parsed); *old spider path* is what the spider did
with each sitemap: ``news_publication_dates`` (a full parsel ``Selector`` of the document) plus
``Sitemap`` with ``parse_lastmod`` per entry; *new* is
:func:`crawler.discovery.sitemaps.iter_sitemap` (streamed, dates parsed).

Every measurement runs in its own process: seconds are the best of ``--repeat`` runs (one
for the largest inputs), peak memory is the growth of the process' maximum resident set
size while parsing (input already loaded), in MiB.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from scrapy.http import Response

ROOT = Path(__file__).resolve().parents[1]
REAL_PAGES = ROOT.parent / "shared" / "real-pages"
if not REAL_PAGES.is_dir():
    REAL_PAGES = Path("/work/shared/real-pages")
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


# --- the old code, as spiders/base.py had it -----------------------------------------------


def old_dated_links(response: Response) -> list[tuple[str, datetime | None]]:
    """Every link of a page with the date printed in its listing entry, when there is one.

    The entry is the nearest ancestor (up to three levels) that holds no other link target
    and little text; its first printed date is the link's."""
    from crawler.extraction.dates import parse_visible

    found: list[tuple[str, datetime | None]] = []
    for link in response.xpath("//a[@href]"):
        href = str(link.attrib.get("href", "")).strip()
        if not href:
            continue
        printed: datetime | None = None
        for ancestor in reversed(link.xpath("ancestor::*[position() <= 3]")):
            targets = set(ancestor.xpath(".//a/@href").getall())
            text = " ".join(ancestor.xpath(".//text()").getall())
            if len(targets) > 1 or len(text) > 800:
                break
            parsed = parse_visible(text) if any(ch.isdigit() for ch in text) else None
            if parsed is not None:
                printed = parsed.value
                break
        found.append((href, printed))
    return found


def old_news_publication_dates(body: bytes | None) -> dict[str, datetime]:
    """``news:publication_date`` of each ``<loc>`` of a Google News sitemap (else empty)."""
    from parsel import Selector

    from crawler.discovery.window import parse_lastmod

    if not body or b"sitemap-news" not in body[:2000]:
        return {}
    dates: dict[str, datetime] = {}
    try:
        selector = Selector(text=body.decode("utf-8", errors="replace"), type="xml")
    except ValueError:
        return {}
    selector.register_namespace("s", "http://www.sitemaps.org/schemas/sitemap/0.9")
    selector.register_namespace("n", NEWS_NS)
    for url in selector.xpath("//s:url"):
        loc = (url.xpath("s:loc/text()").get() or "").strip()
        when = parse_lastmod(url.xpath(".//n:publication_date/text()").get())
        if loc and when is not None:
            dates[loc] = when
    return dates


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A real listing page and how to find and copy its entries."""

    name: str
    file: str
    url: str
    entry: str
    """Regex of one entry's markup."""
    article_id: str
    """Regex of the article id in an entry's URLs (one group: the id)."""


SHAPES = (
    Shape(
        "baocantho (undated entries)",
        "baocantho.com.vn/category.html",
        "https://baocantho.com.vn/thoi-su/",
        r'<li class="news-img-left news-img">[\s\S]*?</li>',
        r"-a(\d+)\.html",
    ),
    Shape(
        "znews (dated entries)",
        "znews.vn/kinhdoanh.html",
        "https://znews.vn/kinh-doanh-tai-chinh.html",
        r'<article\s+class="article-item[\s\S]*?</article>',
        r"-post(\d+)\.html",
    ),
)


def _renumber(suffix: str) -> Callable[[re.Match[str]], str]:
    """A substitution giving an entry's article id a suffix (a new URL, same markup)."""
    return lambda m: m[0].replace(m[1], m[1] + suffix)


def listing_with(shape: Shape, links: int) -> bytes:
    """A real category page, its entry list repeated to ``links`` entry links."""
    page = (REAL_PAGES / shape.file).read_text(encoding="utf-8")
    entries = re.findall(shape.entry, page)
    per_entry = [len(re.findall(r"<a\s[^>]*href=", e)) for e in entries]
    if not entries or not all(per_entry):
        raise RuntimeError(f"no listing entries found in {shape.file}")
    grown: list[str] = []
    count = 0
    copy = 0
    while count < links:
        for entry, n in zip(entries, per_entry, strict=True):
            if count >= links:
                break
            grown.append(re.sub(shape.article_id, _renumber(f"{copy:05d}"), entry))
            count += n
        copy += 1
    first = re.search(shape.entry, page).start()  # type: ignore[union-attr]
    last = [m.end() for m in re.finditer(shape.entry, page)][-1]
    return (page[:first] + "\n".join(grown) + page[last:]).encode("utf-8")


def sitemap_with(urls: int) -> bytes:
    """A Google News urlset of ``urls`` URLs (about 420 bytes each)."""
    rows = []
    for n in range(urls):
        day = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"
        stamp = f"{day}T{n % 24:02d}:{n % 60:02d}:00+07:00"
        rows.append(
            f"<url><loc>https://baohatinh.vn/thoi-su/bai-viet-thoi-su-so-{n}"
            f"-post{100000 + n}.html</loc><lastmod>{stamp}</lastmod><news:news><news:publication>"
            "<news:name>Báo Hà Tĩnh</news:name><news:language>vi</news:language>"
            f"</news:publication><news:publication_date>{stamp}</news:publication_date>"
            f"<news:title>Tiêu đề bài viết số {n} về kinh tế xã hội</news:title>"
            "</news:news></url>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="{NEWS_NS}">\n'
        + "".join(rows)
        + "</urlset>\n"
    ).encode("utf-8")


# --- one measurement (child process) --------------------------------------------------------


def _run(kind: str, impl: str, path: str, url: str) -> int:
    """Parse the input once; returns how many links / entries were found."""
    body = Path(path).read_bytes()
    if kind == "listing":
        if impl == "old":
            from scrapy.http import HtmlResponse

            response = HtmlResponse(url, body=body, encoding="utf-8")
            return len(old_dated_links(response))
        from crawler.discovery.listings import read_listing

        return len(read_listing(body, url).links)
    if impl == "scrapy":
        from scrapy.utils.sitemap import Sitemap

        return sum(1 for _ in Sitemap(body))
    if impl == "old":
        from scrapy.utils.sitemap import Sitemap

        from crawler.discovery.window import parse_lastmod

        news = old_news_publication_dates(body)
        count = 0
        for entry in Sitemap(body):
            parse_lastmod(entry.get("lastmod"))
            news.get(entry.get("loc", ""))
            count += 1
        return count
    from crawler.discovery.sitemaps import iter_sitemap

    return sum(1 for _ in iter_sitemap(body))


def child(kind: str, impl: str, path: str, repeat: int, url: str) -> dict[str, Any]:
    """Time ``repeat`` parses; peak memory growth over the loaded input."""
    import resource

    # Imports first, so the memory growth measured is the parsing's own.
    import parsel  # noqa: F401
    import scrapy.http
    import scrapy.utils.sitemap  # noqa: F401

    import crawler.discovery.listings
    import crawler.discovery.sitemaps  # noqa: F401

    Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = float("inf")
    found = 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = _run(kind, impl, path, url)
        best = min(best, time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": best, "peak_mib": (after - before) / 1024, "found": found}


def measure(
    kind: str, impl: str, path: Path, repeat: int, timeout: float, url: str = ""
) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.discovery_parsing", "--child"]
    command += [kind, impl, str(path), str(repeat), url]
    completed = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{kind}/{impl} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --- the table ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--links", type=int, nargs="*", default=[250, 1000, 2000, 8000])
    parser.add_argument("--urls", type=int, nargs="*", default=[1_000, 10_000, 120_000])
    parser.add_argument("--old-max-links", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=5, metavar=("KIND", "IMPL", "PATH", "REPEAT", "URL"))
    args = parser.parse_args(argv)
    if args.child:
        kind, impl, path, repeat, url = args.child
        print(json.dumps(child(kind, impl, path, int(repeat), url)))
        return 0
    links = [250, 1000] if args.quick else args.links
    urls = [1_000, 10_000] if args.quick else args.urls

    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="discovery-bench-") as tmp:
        rows.append(
            "| listing (real page, entries repeated) | links | page | old s "
            "| old peak MiB | new s | new peak MiB | speed-up |"
        )
        rows.append("|---|---|---|---|---|---|---|---|")
        for shape in SHAPES:
            for n in links:
                path = Path(tmp) / f"listing-{n}.html"
                path.write_bytes(listing_with(shape, n))
                repeat = args.repeat if n <= 2000 else 1
                new = measure("listing", "new", path, repeat, 600, shape.url)
                head = f"| {shape.name} | {n:,} | {path.stat().st_size / 1e6:.1f} MB"
                if n <= args.old_max_links:
                    old = measure("listing", "old", path, 1, 7200, shape.url)
                    rows.append(
                        f"{head} | {old['seconds']:.2f} | {old['peak_mib']:.0f} | "
                        f"{new['seconds']:.3f} | {new['peak_mib']:.0f} | "
                        f"{old['seconds'] / new['seconds']:.0f}× |"
                    )
                else:
                    rows.append(
                        f"{head} | not run | – | {new['seconds']:.3f} | {new['peak_mib']:.0f} | – |"
                    )
                print(rows[-1], file=sys.stderr, flush=True)
        rows.append("")
        rows.append(
            "| sitemap | size | Scrapy Sitemap s | old spider path s | old peak MiB "
            "| new s | new peak MiB |"
        )
        rows.append("|---|---|---|---|---|---|---|")
        for n in urls:
            path = Path(tmp) / f"sitemap-{n}.xml"
            path.write_bytes(sitemap_with(n))
            repeat = args.repeat if n <= 10_000 else 1
            scrapy = measure("sitemap", "scrapy", path, repeat, 900)
            old = measure("sitemap", "old", path, repeat, 1800)
            new = measure("sitemap", "new", path, repeat, 900)
            assert scrapy["found"] == old["found"] == new["found"] == n
            assert n < 50_000 or path.stat().st_size < 50 * 1024 * 1024
            rows.append(
                f"| {n:,} URLs | {path.stat().st_size / 1e6:.1f} MB | {scrapy['seconds']:.2f} | "
                f"{old['seconds']:.2f} | {old['peak_mib']:.0f} | {new['seconds']:.2f} | "
                f"{new['peak_mib']:.1f} |"
            )
            print(rows[-1], file=sys.stderr, flush=True)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
