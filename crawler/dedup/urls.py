"""Which URL names an article: the page's own canonical URL when it stays on the outlet."""

from __future__ import annotations

from functools import lru_cache

from crawler.urls import canonicalize as _canonicalize
from crawler.urls import same_site

canonicalize = lru_cache(maxsize=16_384)(_canonicalize)
""":func:`crawler.urls.canonicalize`, memoised: a crawl canonicalises each URL several times
(normalize pipeline, page row, article row) and w3lib's canonicalisation is not cheap."""


def resolve_canonical(url: str, page_canonical: str | None) -> str:
    """The canonical URL of an article fetched from ``url``.

    The page's ``rel=canonical`` / ``og:url`` (``page_canonical``) wins when it is an http(s)
    URL on the same outlet (mirrors folded); otherwise — missing, relative junk, or pointing at
    another site (a syndication partner, an aggregator) — the fetched URL is used. Both are
    canonicalised with :func:`crawler.urls.canonicalize`.
    """
    own = canonicalize(url)
    if page_canonical:
        try:
            candidate = canonicalize(page_canonical)
        except ValueError:
            return own
        if same_site(candidate, own):
            return candidate
    return own
