"""The spider every outlet's spider is generated from.

What a crawl fetches is decided by the URL ledger (:mod:`crawler.frontier`), the archive's
memory across runs:

1. first, every URL of the outlet the ledger says is still wanted — discovered before but
   not stored (an outage, a full disk, a crash, a failure whose retry is due), and listing
   pages whose walk was interrupted;
2. then discovery, in this order: sitemaps (those robots.txt names plus the profile's and the
   usual paths; indexes, monthly and news sitemaps), RSS feeds, then category listing pages
   followed page by page. Every article URL found is recorded in the ledger and fetched
   unless it is already stored (or its ``lastmod`` says it changed since, or ``refresh``)
   or has failed and waits for its retry (``refresh`` takes it anyway, given up or not).

Incremental crawls (the default) fetch every discovered URL that is not stored, whatever its
publication date: publication dates only narrow backfills. Discovery itself looks back to
the outlet's *horizon* (set by its first incremental crawl, ``ARCHIVE_FIRST_CRAWL_DAYS``
before it) and, once the outlet has been crawled, to ``ARCHIVE_DISCOVERY_LOOKBACK_DAYS``
before its previous complete crawl: sitemaps last modified before that, and listing pages
whose entries are all older or all stored, end the search. A backfill (``since``/``until``,
local dates, ``until`` inclusive) walks its range and stores exactly the articles published
in it; one fetched but published outside it stays pending in the ledger.

Every request has an errback: a page that could not be fetched (after retries) is counted by
kind (``archive/fetch_failed/<kind>``) and, for article and listing URLs, recorded in the
ledger as failed (due again later) or gone (404, 410, off-site, robots.txt).

Arguments (``scrapy crawl NAME -a since=2019-01-01 -a until=2019-12-31 -a refresh=1``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.archive.gate import NotArchived
from crawler.discovery.feeds import parse_feed
from crawler.discovery.listings import read_listing
from crawler.discovery.sitemaps import SitemapEntry, iter_sitemap, robots_sitemaps, sitemap_body
from crawler.discovery.urldates import url_day, url_month
from crawler.discovery.window import CrawlWindow, parse_day
from crawler.extraction import extract_page
from crawler.extraction.dates import parse_any
from crawler.frontier import Frontier
from crawler.parallel import EXTRACT, crawl_pool
from crawler.storage.records import Discovered, ExtractionFailure
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.outlets import OutletProfile

logger = logging.getLogger(__name__)

USUAL_SITEMAPS: tuple[str, ...] = ("/sitemap.xml", "/sitemap_index.xml", "/sitemap-news.xml")
"""Paths tried on every outlet besides those robots.txt and the profile name."""

MAX_LISTING_PAGES = 500
"""How many listing pages a crawl follows at most per outlet (a guard against loops)."""

SITEMAP_MAX_BYTES = 50 * 1024 * 1024
"""The largest sitemap read, uncompressed (the sitemap protocol's limit)."""

EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
"""Publication dates before this are discarded as implausible (no Vietnamese outlet was
online); so are dates more than a day in the future."""

GONE_STATUSES = (404, 410)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def read_sitemap(body: bytes) -> list[SitemapEntry]:
    """A sitemap, sitemap index or text sitemap (gzipped or not) as a list of entries,
    streamed (bounded memory) and safe against XML and gzip bombs (:mod:`crawler.discovery.
    sitemaps`). Run it in a thread: a 50 MB sitemap takes seconds."""
    return list(iter_sitemap(sitemap_body(body, SITEMAP_MAX_BYTES)))


def plausible(when: datetime | None, now: datetime) -> bool:
    """Whether a publication time can be true: after 1990, at most a day ahead of now."""
    return when is None or EARLIEST_DATE <= when <= now + timedelta(days=1)


class OutletSpider(Spider):
    """Crawls one outlet described by an :class:`OutletProfile` (set by subclasses)."""

    profile: ClassVar[OutletProfile]

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
        self.crawl_mode = "backfill" if self._since_day else "incremental"  # on the crawl run
        self.window: CrawlWindow | None = None
        self.frontier: Frontier | None = None
        self._lastmod: dict[str, datetime | None] = {}
        self._listing_pages = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """The spider with its view of the URL ledger."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.frontier = Frontier(crawler, spider.profile.domain)
        crawler.signals.connect(spider.on_request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        return spider

    def on_request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect back to a URL this crawl already asked for (a redirect loop) is dropped
        by the duplicate filter with no errback: its ledger URL is recorded failed here."""
        redirects = request.meta.get("redirect_urls") or []
        if spider is not self or request.url not in redirects:
            return
        ledger_url = request.meta.get("ledger_url")
        kind = str(request.meta.get("page_kind") or "other")
        self._count_failure(kind, "redirect loop")
        logger.warning("redirect loop: %s", " -> ".join([*redirects, request.url]))
        if ledger_url and self.frontier is not None:
            self.frontier.failed(str(ledger_url), f"redirect loop through {request.url}")

    def on_request_scheduled(self, request: Request, spider: Spider) -> None:
        """A redirect that leaves the outlet: Scrapy's offsite filter drops it silently when
        it is scheduled (no errback runs), so its ledger URL is recorded gone here."""
        if spider is not self or not request.meta.get("redirect_urls"):
            return
        host = urlsplit(request.url).hostname or ""
        if request.meta.get("allow_offsite") or any(
            host == allowed or host.endswith(f".{allowed}") for allowed in self.allowed_domains
        ):
            return
        ledger_url = request.meta.get("ledger_url")
        self.crawler.stats.inc_value("archive/gone")
        self.crawler.stats.inc_value(f"archive/gone/{request.meta.get('page_kind', 'other')}")
        if ledger_url and self.frontier is not None:
            self.frontier.failed(str(ledger_url), f"redirected off-site to {host}", gone=True)

    # --- where the crawl starts -------------------------------------------------------------

    @property
    def home(self) -> str:
        """The outlet's home page (scheme, host and port as the profile gives them)."""
        return f"https://{self.profile.domain}"

    def sitemap_start_urls(self) -> list[str]:
        """robots.txt (for the sitemaps it names), the profile's sitemaps and the usual paths."""
        urls = [f"{self.home}/robots.txt", *self.profile.sitemaps]
        urls += [urljoin(self.home, path) for path in USUAL_SITEMAPS]
        return list(dict.fromkeys(urls))

    async def start(self) -> AsyncIterator[Any]:
        """The ledger's due URLs, then sitemaps, feeds and listing pages."""
        assert self.frontier is not None
        self.window = await self._window()
        logger.info(
            "%s: %s crawl, discovery since %s until %s%s",
            self.name,
            self.window.mode,
            self.window.since,
            self.window.until or "now",
            ", refreshing stored articles" if self.window.refresh else "",
        )
        backfill = self.window.mode == "backfill"
        since = self.window.since if backfill else self.window.horizon
        due = await self.frontier.due(since, self.window.until, backfill)
        if due:
            logger.info("%s: %d URLs due from the ledger", self.name, len(due))
            self.crawler.stats.set_value("archive/ledger/due_at_start", len(due))
        for entry in due:
            if entry.kind == "listing":
                yield self._listing_request(entry.url, ledger_url=entry.url)
            else:
                yield self._article_request(entry.url)
        for url in self.sitemap_start_urls():
            yield self._sitemap_request(url)
        for url in self.profile.feeds:
            yield Request(
                url, callback=self.parse_feed, errback=self.on_fetch_error, meta=_meta("feed")
            )
        for url in self.profile.listings:
            yield self._listing_request(url)

    async def _window(self) -> CrawlWindow:
        assert self.frontier is not None
        if self._since_day is not None:
            return CrawlWindow.backfill(self._since_day, self._until_day, self.refresh)
        settings = self.crawler.settings
        horizon = await self.frontier.horizon(settings.getint("ARCHIVE_FIRST_CRAWL_DAYS", 2))
        previous = await self.frontier.run(self.frontier.last_complete_crawl, self.name)
        lookback = timedelta(days=settings.getfloat("ARCHIVE_DISCOVERY_LOOKBACK_DAYS", 7))
        return CrawlWindow.incremental(horizon, previous, lookback, self.refresh)

    # --- sitemaps --------------------------------------------------------------------------

    def _sitemap_request(self, url: str, lastmod: datetime | None = None) -> Request:
        callback = self.parse_robots if url.endswith("/robots.txt") else self.parse_sitemap
        meta = _meta("sitemap", download_maxsize=SITEMAP_MAX_BYTES, sitemap_lastmod=lastmod)
        return Request(url, callback=callback, errback=self.on_fetch_error, meta=meta)

    def parse_robots(self, response: Response) -> Iterable[Request]:
        """The sitemaps robots.txt names (relative ones keep its scheme and port)."""
        for url in robots_sitemaps(response.body, response.url):
            yield self._sitemap_request(url)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Request]:
        """Child sitemaps the window wants; article URLs not stored (or changed)."""
        assert self.window is not None and self.frontier is not None
        try:
            entries = await self.frontier.run(read_sitemap, response.body)
        except (OSError, ValueError) as exc:  # a gzip bomb, a broken file
            self._count_failure("sitemap", f"unreadable sitemap: {exc}")
            logger.warning("unreadable sitemap %s: %s", response.url, exc)
            return
        candidates: list[tuple[str, datetime | None, datetime | None]] = []
        for entry in entries:
            loc, lastmod, published = entry.loc, entry.lastmod, entry.news_published
            if not self.window.modified_in_range(lastmod):
                continue
            path = urlsplit(loc).path
            if entry.is_index or loc.endswith((".xml", ".xml.gz")) or "sitemap" in path.lower():
                month = url_month(path)
                if month is None or self.window.month_in_range(*month):
                    yield self._sitemap_request(loc, lastmod)
                continue
            if published is not None and not self._date_wanted(published):
                continue  # a news sitemap entry published outside a backfill's range
            candidates.append((loc, lastmod, published))
        for request in await self._schedule(candidates, "sitemap", response.url):
            yield request

    # --- feeds and listings ----------------------------------------------------------------

    async def parse_feed(self, response: Response) -> AsyncIterator[Request]:
        """Articles named by an RSS / Atom feed."""
        assert self.frontier is not None
        entries = await self.frontier.run(parse_feed, response.body)
        candidates = [
            (entry.url, None, entry.published)
            for entry in entries
            if self._date_wanted(entry.published)
        ]
        for request in await self._schedule(candidates, "feed", response.url):
            yield request

    def _listing_request(self, url: str, ledger_url: str | None = None) -> Request:
        meta = _meta("listing", ledger_url=ledger_url)
        return Request(url, callback=self.parse_listing, errback=self.on_fetch_error, meta=meta)

    async def parse_listing(self, response: Response) -> AsyncIterator[Request]:
        """Articles linked from a category page, then its next page while it brings news.

        The dates a listing prints narrow the walk: a page whose newest date is before the
        window ends it, and a backfill skips (but walks through) pages newer than its end.
        An incremental walk also ends at a page whose articles are all stored already."""
        assert self.window is not None and self.frontier is not None
        page = await self.frontier.run(read_listing, response.text, response.url)
        links, dates, next_page = page.links, page.dates, page.next_page
        ledger_url = response.meta.get("ledger_url")
        if ledger_url:
            self.frontier.visited(ledger_url, "listing")
        if dates and self.window.since is not None and max(dates) < self.window.since:
            return
        too_new = bool(dates) and self.window.until is not None and min(dates) >= self.window.until
        candidates = [] if too_new else [(href, None, printed) for href, printed in links]
        candidates = [c for c in candidates if self._date_wanted(c[2])]
        articles = self._article_candidates(candidates, response.url)
        known = await self.frontier.lookup(a[0] for a in articles)
        requests = self._requests_for(articles, known, "listing", response.url)
        for request in requests:
            yield request
        all_stored = articles and all(
            known.get(url) is not None and known[url].state in ("stored", "gone")
            for url, _, _ in articles
        )
        incremental = self.window.mode == "incremental" and not self.window.refresh
        if incremental and not too_new and (all_stored or not articles):
            return  # a page of stored articles: the rest of the category is known
        self._listing_pages += 1
        if next_page and self._listing_pages < MAX_LISTING_PAGES:
            target = canonicalize(next_page)
            self.frontier.discovered(
                [Discovered(target, self.profile.domain, "listing", response.url, "listing")]
            )
            yield self._listing_request(next_page, ledger_url=target)

    # --- scheduling article URLs -------------------------------------------------------------

    def _article_candidates(
        self, candidates: Iterable[tuple[str, datetime | None, datetime | None]], base: str
    ) -> list[tuple[str, datetime | None, datetime | None]]:
        """Canonical article URLs of the outlet among raw links (first occurrence wins)."""
        seen: dict[str, tuple[str, datetime | None, datetime | None]] = {}
        for raw, lastmod, published in candidates:
            url = self._article_url(urljoin(base, raw))
            if url is not None and url not in seen:
                seen[url] = (url, lastmod, published)
        return list(seen.values())

    async def _schedule(
        self,
        candidates: Iterable[tuple[str, datetime | None, datetime | None]],
        via: str,
        found_on: str,
    ) -> list[Request]:
        """Requests for the candidates the archive wants, after asking the ledger."""
        assert self.frontier is not None
        articles = self._article_candidates(candidates, found_on)
        known = await self.frontier.lookup(a[0] for a in articles)
        return self._requests_for(articles, known, via, found_on)

    def _requests_for(
        self,
        articles: list[tuple[str, datetime | None, datetime | None]],
        known: dict[str, Any],
        via: str,
        found_on: str,
    ) -> list[Request]:
        """Record what is new in the ledger; request what is not stored, changed, or due."""
        assert self.frontier is not None and self.window is not None
        now = datetime.now(UTC)
        stats = self.crawler.stats
        discovered: list[Discovered] = []
        requests: list[Request] = []
        for url, raw_lastmod, raw_published in articles:
            lastmod, published = self._plausible(raw_lastmod), self._plausible(raw_published)
            entry = known.get(url)
            if entry is None or lastmod is not None or published is not None:
                discovered.append(
                    Discovered(
                        url, self.profile.domain, via, found_on, "article", lastmod, published
                    )
                )
            if entry is None:
                stats.inc_value("archive/discovered_new")
            elif entry.state == "gone":
                continue
            elif entry.state == "stored":
                changed = lastmod is not None and (
                    entry.stored_at is None or lastmod > entry.stored_at
                )
                if not (changed or self.window.refresh):
                    stats.inc_value("archive/skipped_stored")
                    continue
                stats.inc_value("archive/refetch_changed" if changed else "archive/refetch")
            elif not (entry.wanted(now) or self.window.refresh):
                # Its retry is not due yet, or it was given up; --refresh takes it anyway.
                stats.inc_value("archive/skipped_failed")
                continue
            self._lastmod[url] = lastmod
            requests.append(self._article_request(url, refetch=entry is not None))
        self.frontier.discovered(discovered)
        return requests

    def _plausible(self, when: datetime | None) -> datetime | None:
        """A source's date, or None when it cannot be true (see :func:`plausible`)."""
        if when is None or plausible(when, datetime.now(UTC)):
            return when
        self.crawler.stats.inc_value("archive/dates_discarded")
        return None

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
        if self.window.mode != "backfill":
            return url
        day = url_day(parts.path)
        if day is not None and not self.window.day_in_range(day):
            return None
        month = url_month(parts.path) if day is None else None
        if month is not None and not self.window.month_in_range(*month):
            return None
        return url

    def _date_wanted(self, when: datetime | None) -> bool:
        """Whether a date printed next to a link (or in a feed) keeps it in the crawl: in a
        backfill's range, or (incremental) not before the outlet's horizon."""
        assert self.window is not None
        return when is None or self.window.published_in_range(when)

    def _article_request(self, url: str, refetch: bool = False) -> Request:
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_fetch_error,
            meta=_meta("article", ledger_url=url, refetch=refetch or None),
        )

    # --- failures ------------------------------------------------------------------------------

    def on_fetch_error(self, failure: Failure) -> None:
        """Count (by kind) and record a request that gave no usable response."""
        request = getattr(failure, "request", None)
        meta = getattr(request, "meta", {}) or {}
        kind = str(meta.get("page_kind") or "other")
        error: BaseException = failure.value or RuntimeError("unknown failure")
        if isinstance(error, NotArchived):
            # Counted by the archive (warc/errors); the page is not at fault, so its URL
            # stays due (fetched, not stored) rather than waiting for a retry.
            logger.warning("not kept: %s", error)
            return
        response = getattr(error, "response", None)
        status = getattr(response, "status", None) if isinstance(error, HttpError) else None
        reason = f"HTTP {status}" if status is not None else _describe(error)
        gone = status in GONE_STATUSES or _offsite(error)
        if gone:
            # A usual sitemap path that does not exist is no loss: only URLs the crawl wanted
            # (articles, listing pages) count as gone.
            if kind in ("article", "listing"):
                self.crawler.stats.inc_value("archive/gone")
            self.crawler.stats.inc_value(f"archive/gone/{kind}")
        else:
            self._count_failure(kind, reason)
        logger.warning("could not fetch %s: %s", getattr(request, "url", "?"), reason)
        ledger_url = meta.get("ledger_url")
        if ledger_url and self.frontier is not None:
            self.frontier.failed(str(ledger_url), reason, status, gone=gone)

    def _count_failure(self, kind: str, reason: str) -> None:
        stats = self.crawler.stats
        stats.inc_value("archive/fetch_failed")
        stats.inc_value(f"archive/fetch_failed/{kind}")
        del reason

    # --- articles --------------------------------------------------------------------------

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        """Extract the article (off the reactor when ``ARCHIVE_EXTRACT_PROCESSES`` is set:
        :mod:`crawler.parallel`); a page that fails or is not an article (soft 404, video,
        listing...) is yielded as a failure with the reason, never dropped."""
        assert self.window is not None
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        learned = getattr(self, "learned_boilerplate", None)
        crawler = getattr(self, "crawler", None)
        if crawler is None:  # a spider built without a crawler (tests): extract inline
            outcome = extract_page(
                response.body, response.url, content_type=content_type, learned=learned
            )
        else:
            outcome = await crawl_pool(crawler.settings).run(
                EXTRACT, response.body, response.url, content_type=content_type, learned=learned
            )
        if outcome.article is None:
            failure = outcome.failure or "no article"
            yield ExtractionFailure(url=response.url, error=failure, status=response.status)
            return
        article = outcome.article
        published = parse_any(article.published_at)
        when = published.value if published else None
        if not plausible(when, datetime.now(UTC)):
            self.crawler.stats.inc_value("archive/dates_discarded")
            logger.warning(
                "%s: publication date %s discarded (before 1990 or in the future)",
                response.url,
                article.published_at,
            )
            article.published_at, when = None, None
        if self.window.mode == "backfill" and not self.window.published_in_range(when):
            self.crawler.stats.inc_value("archive/out_of_range")
            ledger_url = response.meta.get("ledger_url") or canonicalize(response.url)
            when_text = article.published_at or "at an unknown time"
            frontier = self.frontier
            if frontier is not None:  # a spider built without a crawler (tests) has none
                frontier.deferred(ledger_url, f"published {when_text}, outside the backfill", when)
            return
        yield article


def _meta(kind: str, **extra: Any) -> dict[str, Any]:
    return {"page_kind": kind, **{k: v for k, v in extra.items() if v is not None}}


def _offsite(error: BaseException) -> bool:
    return isinstance(error, IgnoreRequest) and "offsite" in str(error).lower()


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__
