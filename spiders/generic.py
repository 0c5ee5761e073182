"""A spider for an outlet that has no profile yet: ``crawler crawl --url https://baoxyz.vn``.

It builds a provisional profile from the home page URL (no template: extraction takes the
generic trafilatura path), finds sitemaps through robots.txt and the usual paths, finds feeds
through the home page's ``<link rel=alternate>`` tags, and treats the home page as a listing.
The home page's scheme, host and port are kept for every request it derives (robots.txt,
sitemaps), so ``--url http://127.0.0.1:8080/`` crawls exactly that server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request

from crawler.outlets.base import CmsTemplate, OutletProfile
from crawler.urls import fold_host
from spiders.base import OutletSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.http import Response

NO_TEMPLATE = CmsTemplate(name="generic", title=(), body=())
"""A template with no selectors: every page goes through the generic extractor."""

# Paths that look like articles on most news sites: an id before .html, a dated folder, or a
# long hyphenated slug.
GENERIC_ARTICLE_PATTERNS: tuple[str, ...] = (
    r"-[a-z]?\d{4,}\.html?$",
    r"/\d{4}/\d{1,2}/(?:\d{1,2}/)?[\w-]{12,}",
    r"/[a-z0-9]+(?:-[a-z0-9]+){4,}(?:\.html?)?/?$",
)
GENERIC_DENY_PATTERNS: tuple[str, ...] = (
    r"^/(?:video|videos|podcast|emagazine|e-magazine|epaper|e-paper|tag|tags|tim-kiem|search)/",
    r"\.(?:jpg|jpeg|png|gif|pdf|mp4|mp3|zip)$",
)


def provisional_profile(home_url: str) -> OutletProfile:
    """A profile for an unknown outlet, from its home page URL."""
    parts = urlsplit(home_url if "://" in home_url else f"https://{home_url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a home page URL: {home_url!r}")
    domain = fold_host(parts.hostname)
    return OutletProfile(
        name=domain.split(".")[0],
        domain=domain,
        title=domain,
        template=NO_TEMPLATE,
        article_patterns=GENERIC_ARTICLE_PATTERNS,
        deny_patterns=GENERIC_DENY_PATTERNS,
        listings=(f"{parts.scheme}://{parts.netloc}/",),
    )


class GenericNewsSpider(OutletSpider):
    """Crawls an outlet without a profile, discovering its feeds and sitemaps itself."""

    name = "generic"

    def __init__(self, url: str | None = None, **kwargs: Any) -> None:
        if not url:
            raise ValueError("the generic spider needs the outlet's home page: -a url=https://…")
        self.profile = provisional_profile(url)  # type: ignore[misc]
        super().__init__(**kwargs)

    @property
    def home(self) -> str:
        """The home page's origin as given (scheme and port kept)."""
        return self.profile.listings[0].rstrip("/")

    async def start(self) -> AsyncIterator[Any]:
        """As for any outlet, with the home page read for feeds as well as links."""
        async for request in super().start():
            if isinstance(request, Request) and request.url in self.profile.listings:
                request = request.replace(callback=self.parse_home)
            yield request

    async def parse_home(self, response: Response) -> AsyncIterator[Request]:
        """Feeds the home page advertises, then its article links like any listing."""
        for href in response.css(
            'link[rel=alternate][type*="rss"]::attr(href), '
            'link[rel=alternate][type*="atom"]::attr(href)'
        ).getall():
            yield Request(
                response.urljoin(href),
                callback=self.parse_feed,
                errback=self.on_fetch_error,
                meta={"page_kind": "feed"},
            )
        async for request in self.parse_listing(response):
            yield request
