"""Page metadata outside the article body: JSON-LD, Open Graph / article meta, canonical link."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from crawler.extraction.text import fold, fold_or_none, unescape

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenews",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "liveblogposting",
    "webpage",
}


@dataclass
class PageMetadata:
    """What a page says about itself in machine-readable form."""

    jsonld: dict[str, Any] = field(default_factory=dict)
    """The most article-like JSON-LD object (NewsArticle first), or {}."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    """``<meta>`` values by lower-cased ``property`` / ``name`` / ``itemprop``."""

    canonical: str | None = None
    """Absolute URL of ``<link rel=canonical>``."""

    base_href: str | None = None
    """Absolute URL of ``<base href>``, if any."""

    html_lang: str | None = None
    """The ``lang`` attribute of ``<html>``."""

    title_tag: str | None = None
    """The ``<title>`` text."""

    def first(self, *names: str) -> str | None:
        """The first non-empty meta value among ``names``."""
        for name in names:
            for value in self.meta.get(name, []):
                folded = fold_or_none(value)
                if folded:
                    return folded
        return None

    def all(self, name: str) -> list[str]:
        """Every non-empty value of one meta name, folded."""
        return [v for v in (fold(x) for x in self.meta.get(name, [])) if v]

    def jsonld_str(self, key: str) -> str | None:
        """A JSON-LD string property (the first one when it is a list)."""
        value = self.jsonld.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("name") or value.get("@value")
        return fold_or_none(unescape(value)) if isinstance(value, str) else None

    def jsonld_authors(self) -> list[str]:
        """Author names from JSON-LD ``author`` (string, object or list of either)."""
        raw = self.jsonld.get("author")
        items = raw if isinstance(raw, list) else [raw]
        names: list[str] = []
        for item in items:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str) and fold(name):
                names.append(fold(name))
        return names

    def jsonld_people(self) -> list[str]:
        """Names of JSON-LD ``author`` entries that are not typed as an organisation."""
        raw = self.jsonld.get("author")
        items = raw if isinstance(raw, list) else [raw]
        names: list[str] = []
        for item in items:
            if isinstance(item, dict):
                kinds = item.get("@type")
                kind_list = kinds if isinstance(kinds, list) else [kinds]
                if any(str(k).lower() in _ORGANISATION_TYPES for k in kind_list):
                    continue
                item = item.get("name")
            if isinstance(item, str) and fold(item):
                names.append(fold(unescape(item)))
        return names

    def jsonld_keywords(self) -> list[str]:
        """JSON-LD ``keywords`` as a list (comma-separated strings are split, in lists too)."""
        raw = self.jsonld.get("keywords")
        items = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        pieces = [part for x in items if isinstance(x, str) for part in unescape(x).split(",")]
        return [k for k in (fold(p) for p in pieces) if k]


_ORGANISATION_TYPES = {"organization", "newsmediaorganization", "corporation", "organisation"}


def _walk_jsonld(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [obj for item in node for obj in _walk_jsonld(item)]
    if isinstance(node, dict):
        found = [node]
        graph = node.get("@graph")
        if graph is not None:
            found.extend(_walk_jsonld(graph))
        return found
    return []


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type", [])
    types = raw if isinstance(raw, list) else [raw]
    return {t.lower() for t in types if isinstance(t, str)}


def _pick_article(objects: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = [o for o in objects if _types(o) & _ARTICLE_TYPES]
    # Prefer a real article type over WebPage, and one with a headline.
    ranked.sort(key=lambda o: ("webpage" in _types(o), "headline" not in o))
    return ranked[0] if ranked else {}


def read_metadata(root: HtmlElement, url: str) -> PageMetadata:
    """Collect JSON-LD, meta tags, canonical and base links of a parsed page."""
    meta = PageMetadata()
    objects: list[dict[str, Any]] = []
    base: HtmlElement | None = None
    title: HtmlElement | None = None
    # One pass over the page for the five tags (libxml2 filters them), not one per tag.
    for element in root.iter("script", "meta", "link", "base", "title"):
        tag = element.tag
        if tag == "script":
            if (element.get("type") or "").strip().lower() != "application/ld+json":
                continue
            try:
                objects.extend(_walk_jsonld(json.loads(element.text or "", strict=False)))
            except (ValueError, RecursionError):
                continue  # a broken JSON-LD block is common; the other sources remain
        elif tag == "meta":
            key = element.get("property") or element.get("name") or element.get("itemprop")
            content = element.get("content")
            if key and content is not None:
                meta.meta.setdefault(key.strip().lower(), []).append(content)
        elif tag == "link":
            rel = (element.get("rel") or "").lower().split()
            if "canonical" in rel and element.get("href") and meta.canonical is None:
                meta.canonical = urljoin(url, element.get("href", "").strip())
        elif tag == "base":
            if base is None:  # the first one counts, as for the title
                base = element
        elif title is None:
            title = element
    meta.jsonld = _pick_article(objects)
    if base is not None and base.get("href"):
        meta.base_href = urljoin(url, base.get("href", "").strip())
    meta.html_lang = fold_or_none(root.get("lang"))
    meta.title_tag = fold_or_none(title.text_content()) if title is not None else None
    return meta
