"""The spider every outlet's spider is generated from.

Discovery follows the outlet's profile, in this order: sitemaps (those robots.txt names plus
the profile's and the usual paths, sitemap indexes and monthly sitemaps, filtered by
``lastmod``), RSS feeds, then category listing pages followed page by page. Only URLs that
match the profile's article patterns (and none of its deny patterns) are parsed as articles;
every link is canonicalised before it is requested, and a URL already stored is not fetched
again unless ``refresh`` is set or its ``lastmod`` says it changed.

Arguments (``scrapy crawl NAME -a since=2019-01-01 -a until=2019-12-31 -a refresh=1``):
``since``/``until`` switch to a backfill over those local dates (``until`` inclusive);
without them the crawl is incremental since the outlet's previous crawl.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.selector import Selector
from scrapy.spiders import SitemapSpider

from crawler.crawlstate import CrawlState, open_state
from crawler.discovery.feeds import parse_feed
from crawler.discovery.urldates import url_day, url_month
from crawler.discovery.window import CrawlWindow, parse_day, parse_lastmod
from crawler.extraction import extract_page
from crawler.extraction.dates import parse_any, parse_visible
from crawler.storage.records import ExtractionFailure
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.outlets import OutletProfile

logger = logging.getLogger(__name__)

USUAL_SITEMAPS: tuple[str, ...] = ("/sitemap.xml", "/sitemap_index.xml", "/sitemap-news.xml")
"""Paths tried on every outlet besides those robots.txt and the profile name."""

# How many listing pages a crawl follows at most per category (a guard against loops).
MAX_LISTING_PAGES = 500


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def listing_dates(response: Response) -> list[datetime]:
    """Publication times a listing page prints next to its entries (local time)."""
    found: list[datetime] = []
    for text in response.css("body :not(script):not(style)::text").getall():
        if any(ch.isdigit() for ch in text):
            parsed = parse_visible(text)
            if parsed is not None:
                found.append(parsed.value)
    return found


NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def news_publication_dates(body: bytes | None) -> dict[str, datetime]:
    """``news:publication_date`` of each ``<loc>`` of a Google News sitemap (else empty)."""
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


def dated_links(response: Response) -> list[tuple[str, datetime | None]]:
    """Every link of a page with the date printed in its listing entry, when there is one.

    The entry is the nearest ancestor (up to three levels) that holds no other link target
    and little text; its first printed date is the link's."""
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


class OutletSpider(SitemapSpider):
    """Crawls one outlet described by an :class:`OutletProfile` (set by subclasses)."""

    profile: ClassVar[OutletProfile]
    sitemap_rules = (("", "parse_article"),)

    def __init__(
        self,
        since: str | None = None,
        until: str | None = None,
        refresh: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.allowed_domains = list(self.profile.hosts)
        self._since_day = parse_day(since) if since else None
        self._until_day = parse_day(until) if until else None
        if self._until_day and not self._since_day:
            raise ValueError("until= needs since= (a backfill has a start date)")
        self.refresh = _truthy(refresh)
        self.window: CrawlWindow | None = None
        self.crawl_mode: str | None = None  # recorded on the crawl run
        self.crawl_state: CrawlState | None = None
        self._lastmod: dict[str, datetime | None] = {}
        self._news_dates: dict[str, datetime] = {}
        self._listing_pages = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Open the crawl state (stored URLs, previous crawl) and fix the window."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.crawl_state = open_state(crawler.settings)
        now = datetime.now(UTC)
        if spider._since_day is not None:
            spider.window = CrawlWindow.backfill(
                spider._since_day, spider._until_day, spider.refresh
            )
        else:
            spider.window = CrawlWindow.incremental(
                spider.crawl_state.last_crawl(spider.name),
                crawler.settings.getint("ARCHIVE_FIRST_CRAWL_DAYS", 2),
                now,
                spider.refresh,
            )
        spider.crawl_mode = spider.window.mode
        logger.info(
            "%s: %s crawl, window since %s until %s%s",
            spider.name,
            spider.window.mode,
            spider.window.since,
            spider.window.until or "now",
            ", refreshing stored articles" if spider.refresh else "",
        )
        return spider

    # --- where the crawl starts -------------------------------------------------------------

    def sitemap_start_urls(self) -> list[str]:
        """robots.txt (for the sitemaps it names), the profile's sitemaps and the usual paths."""
        home = f"https://{self.profile.domain}"
        urls = [f"{home}/robots.txt", *self.profile.sitemaps]
        urls += [urljoin(home, path) for path in USUAL_SITEMAPS]
        return list(dict.fromkeys(urls))

    async def start(self) -> AsyncIterator[Any]:
        """Sitemaps first, then feeds, then listing pages."""
        for url in self.sitemap_start_urls():
            yield Request(url, callback=self._parse_sitemap, meta={"page_kind": "sitemap"})
        for url in self.profile.feeds:
            yield Request(
                url,
                callback=self.parse_feed,
                errback=self.on_fetch_error,
                meta={"page_kind": "feed"},
            )
        for url in self.profile.listings:
            yield Request(url, callback=self.parse_listing, meta={"page_kind": "listing"})

    # --- sitemaps --------------------------------------------------------------------------

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        """Scrapy's sitemap parsing, remembering the news dates its entries don't carry."""
        if not response.url.endswith("/robots.txt"):
            self._news_dates = news_publication_dates(self._get_sitemap_body(response))
        return super()._parse_sitemap(response)

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Keep sitemaps and articles the window wants and that aren't stored unchanged."""
        assert self.window is not None
        articles: list[tuple[str, dict[str, Any], datetime | None]] = []
        for entry in entries:
            loc = str(entry.get("loc") or "").strip()
            lastmod = parse_lastmod(entry.get("lastmod"))
            published = self._news_dates.get(loc)
            if published is not None and not self._date_wanted(published):
                continue  # a news sitemap entry published outside the window
            if not loc or not self.window.modified_in_range(lastmod):
                continue
            path = urlsplit(loc).path
            if loc.endswith((".xml", ".xml.gz")) or "sitemap" in path.lower():
                month = url_month(path)
                if month is None or self.window.month_in_range(*month):
                    yield entry
                continue
            url = self._article_url(loc)
            if url is None:
                continue
            entry["loc"] = url
            articles.append((url, entry, lastmod))
        yield from (entry for _, entry, _ in self._unstored(articles))

    def _unstored(
        self, candidates: list[tuple[str, dict[str, Any], datetime | None]]
    ) -> list[tuple[str, dict[str, Any], datetime | None]]:
        """Candidates not stored yet, or stored before their ``lastmod`` (or all on refresh)."""
        assert self.crawl_state is not None and self.window is not None
        if not candidates:
            return []
        stored = {} if self.window.refresh else self.crawl_state.stored([c[0] for c in candidates])
        fresh: list[tuple[str, dict[str, Any], datetime | None]] = []
        for url, payload, lastmod in candidates:
            seen = stored.get(url)
            if seen is not None and (lastmod is None or lastmod <= seen):
                self.crawler.stats.inc_value("archive/skipped_stored")
                continue
            if seen is not None:
                self.crawler.stats.inc_value("archive/refetch_changed")
            self._lastmod[url] = lastmod
            fresh.append((url, payload, lastmod))
        return fresh

    def _article_url(self, raw: str) -> str | None:
        """The canonical URL of an article link, or None for anything else."""
        try:
            url = canonicalize(raw)
        except ValueError:
            return None
        parts = urlsplit(url)
        if parts.hostname not in self.profile.hosts:
            return None
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not self.profile.is_article_url(path):
            return None
        assert self.window is not None
        day = url_day(parts.path)
        if day is not None and self.window.mode == "backfill" and not self.window.day_in_range(day):
            return None
        month = url_month(parts.path) if day is None else None
        backfill = self.window.mode == "backfill"
        if month is not None and backfill and not self.window.month_in_range(*month):
            return None
        return url

    # --- feeds and listings ----------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Articles named by an RSS / Atom feed."""
        assert self.window is not None
        candidates: list[tuple[str, dict[str, Any], datetime | None]] = []
        for entry in parse_feed(response.body):
            url = self._article_url(entry.url)
            if url and self._date_wanted(entry.published):
                candidates.append((url, {}, entry.published))
        for url, _, _ in self._unstored(candidates):
            yield self._article_request(url)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Articles linked from a category page, then its next page while it brings news.

        The dates a listing prints narrow the walk: a page whose newest date is before the
        window ends it, and a backfill skips (but walks through) pages newer than its end."""
        assert self.window is not None
        dates = listing_dates(response)
        if dates and self.window.since is not None and max(dates) < self.window.since:
            return
        too_new = bool(dates) and self.window.until is not None and min(dates) >= self.window.until
        urls: list[str] = []
        for href, printed in [] if too_new else dated_links(response):
            url = self._article_url(response.urljoin(href))
            if url and url not in urls and self._date_wanted(printed):
                urls.append(url)
        fresh = self._unstored([(u, {}, None) for u in urls])
        for url, _, _ in fresh:
            yield self._article_request(url)
        # Incremental: a page that holds only known articles ends the category.
        if (
            not fresh
            and not too_new
            and self.window.mode == "incremental"
            and not self.window.refresh
        ):
            return
        next_page = self._next_listing_page(response)
        self._listing_pages += 1
        if next_page and self._listing_pages < MAX_LISTING_PAGES:
            yield Request(next_page, callback=self.parse_listing, meta={"page_kind": "listing"})

    def _date_wanted(self, when: datetime | None) -> bool:
        """Whether a date printed next to a link (or in a feed) lies in the window."""
        assert self.window is not None
        if when is None:
            return True
        if self.window.since is not None and when < self.window.since:
            return False
        return self.window.until is None or when < self.window.until

    def _next_listing_page(self, response: Response) -> str | None:
        for selector in ("link[rel=next]::attr(href)", "a[rel=next]::attr(href)",
                         ".pagination a.next::attr(href)", "a.next::attr(href)"):  # fmt: skip
            href = response.css(selector).get()
            if href:
                return response.urljoin(href)
        return None

    def _article_request(self, url: str) -> Request:
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_fetch_error,
            meta={"page_kind": "article"},
        )

    def on_fetch_error(self, failure: Failure) -> None:
        """Count and log a page that could not be fetched (after retries) or was an error."""
        request = getattr(failure, "request", None)
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else repr(failure.value)
        self.crawler.stats.inc_value("archive/fetch_failed")
        logger.warning("could not fetch %s: %s", getattr(request, "url", "?"), reason)

    # --- articles --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        """Extract the article; a page that fails or is not an article (soft 404, video,
        listing...) is yielded as a failure with the reason, never dropped."""
        assert self.window is not None
        outcome = extract_page(
            response.body,
            response.url,
            content_type=(response.headers.get("Content-Type") or b"").decode("latin-1") or None,
            learned=getattr(self, "learned_boilerplate", None),
        )
        if outcome.article is None:
            failure = outcome.failure or "no article"
            yield ExtractionFailure(url=response.url, error=failure, status=response.status)
            return
        article = outcome.article
        published = parse_any(article.published_at)
        when = published.value if published else None
        # An old story enters an incremental crawl only when its sitemap lastmod moved.
        changed = self._lastmod.get(canonicalize(response.url)) is not None
        if not self.window.published_in_range(when, changed=changed):
            self.crawler.stats.inc_value("archive/out_of_range")
            return
        yield article
