"""Normalisation pipeline: canonical URL and NFC text before anything else sees the item.

Settings read: none.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.dedup.text import nfc, normalize_lines, normalize_or_none
from crawler.dedup.urls import resolve_canonical
from crawler.items import Article
from crawler.urls import fold_host

logger = logging.getLogger(__name__)


class NormalizePipeline:
    """Canonicalises :class:`crawler.items.Article` URLs and puts every text field in NFC.

    * ``canonical_url`` becomes the canonical form of the page's own canonical URL
      (``rel=canonical`` / ``og:url``) when it is on the same outlet, else of ``url``
      (:func:`crawler.dedup.urls.resolve_canonical`): lower-case host, ``www.``/``m.`` folded,
      tracking parameters, fragment and default port dropped;
    * ``outlet`` defaults to the folded host of the canonical URL;
    * title, sapo, category: NFC, white space folded; body: NFC, white space folded inside
      paragraphs, empty paragraphs dropped; authors, tags, image captions: NFC.

    ``url`` stays the fetched URL (the page ledger matches it). An item whose URL is not an
    absolute http(s) URL is dropped with a warning. Other items pass through untouched.
    Settings read: none.
    """

    def process_item(self, item: Any) -> Any:
        """Normalise an :class:`Article` in place; anything else passes through."""
        if not isinstance(item, Article):
            return item
        try:
            item.canonical_url = resolve_canonical(item.url, item.canonical_url)
        except ValueError as exc:
            raise DropItem(f"article without a usable URL: {exc}") from exc
        if not item.outlet:
            from urllib.parse import urlsplit

            item.outlet = fold_host(urlsplit(item.canonical_url).hostname or "")
        item.title = normalize_or_none(item.title)
        item.sapo = normalize_or_none(item.sapo)
        item.body = normalize_lines(item.body)
        item.category = normalize_or_none(item.category)
        item.authors = [nfc(a) for a in item.authors]
        item.tags = [nfc(t) for t in item.tags]
        for image in item.images:
            if image.get("caption"):
                image["caption"] = nfc(image["caption"] or "")
        return item
