"""Declarative outlet profiles and the CMS templates they share.

A :class:`CmsTemplate` says where a vendor CMS puts each part of an article page. An
:class:`OutletProfile` names one outlet, the template it runs on (with per-outlet overrides),
its dateline marker and where a crawler finds its articles. Profiles hold data only; the
extraction code reads them (``crawler.extraction.profiled``).

Every selector field is a tuple of CSS selectors tried in order: the first one that matches
wins, so a template can list the current markup first and older markup after it, and a
missing element degrades to the next source (JSON-LD, meta tags) instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

Selectors = tuple[str, ...]


@dataclass(frozen=True)
class CmsTemplate:
    """Where one vendor CMS puts the parts of an article page."""

    name: str
    """Short identifier of the template, e.g. ``"epi"`` or ``"onecms"``."""

    title: Selectors
    """The headline element."""

    body: Selectors
    """The element holding the article text (paragraphs, subheadings, figures, tables)."""

    sapo: Selectors = ()
    """The lead paragraph shown under the headline, when the template has its own element."""

    sapo_first_paragraph: bool = False
    """The lead is the body's first paragraph (it then starts with the dateline marker)."""

    byline_last_paragraph: bool = True
    """The body's last short paragraph may be the author credit ("Q.H", "Bài, ảnh: …");
    it is moved to ``authors`` when it looks like a name."""

    prune: Selectors = ()
    """Elements removed from the body before reading it: ads, related news, share bars."""

    caption: Selectors = ("figcaption",)
    """Elements inside the body that are photo captions (they go to ``images``)."""

    published: Selectors = ()
    """Visible publication date element(s); ``datetime``/``content`` attributes win over text."""

    modified: Selectors = ()
    """Visible modification date element(s)."""

    author: Selectors = ()
    """Author name element(s) outside the body."""

    category: Selectors = ()
    """Breadcrumb or section links; the last non-home entry is the category."""

    tags: Selectors = ()
    """Tag / keyword links."""

    stop_markers: tuple[str, ...] = ()
    """Paragraph texts (lower-case prefixes) at which the body ends, e.g. "đọc thêm"."""

    signature: Selectors = ()
    """Markup only this CMS produces. A page of an outlet without a profile that matches one
    of these (and whose body selector finds text) is read with this template: outlets share
    vendor CMSes, so one template covers papers nobody wrote a profile for."""


@dataclass(frozen=True)
class OutletProfile:
    """One news outlet: its identity, its template and where its articles are found."""

    name: str
    """Spider and command-line name, e.g. ``"baohatinh"``."""

    domain: str
    """Registered domain without ``www.``, e.g. ``"baohatinh.vn"``."""

    template: CmsTemplate
    """The CMS template the outlet's article pages follow (after ``overrides``)."""

    title: str = ""
    """Human-readable outlet name, e.g. "Báo Hà Tĩnh"."""

    aliases: tuple[str, ...] = ()
    """Other hosts serving the same articles (mirrors, mobile sites, former domains)."""

    dateline_markers: tuple[str, ...] = ()
    """Regular expressions of the dateline marker that opens the lead, e.g.
    ``r"\\(Baohatinh\\.vn\\)"``; the marker and the dash after it are stripped from the sapo."""

    article_patterns: tuple[str, ...] = ()
    """Regular expressions (searched in the URL path) that article URLs match."""

    deny_patterns: tuple[str, ...] = ()
    """Regular expressions of URL paths that are never articles (video, e-paper, tags, tools)."""

    sitemaps: tuple[str, ...] = ()
    """Sitemap (or sitemap index) URLs, in addition to those robots.txt names."""

    feeds: tuple[str, ...] = ()
    """RSS / Atom feed URLs."""

    listings: tuple[str, ...] = ()
    """Category listing pages followed page by page when sitemaps and feeds miss articles."""

    language: str = "vi"
    """ISO 639-1 language of the outlet's articles."""

    merged_into: str | None = None
    """Domain of the outlet this one was merged into, if any (Hậu Giang into Cần Thơ, 2025)."""

    overrides: dict[str, Any] = field(default_factory=dict)
    """Template fields this outlet changes, e.g. ``{"prune": (...)}``; applied at registration."""

    def __post_init__(self) -> None:
        for name in ("aliases", "dateline_markers", "article_patterns", "deny_patterns",
                     "sitemaps", "feeds", "listings"):  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise TypeError(
                    f"outlet {self.name!r}: {name} must be a tuple of strings, got {value!r} "
                    '(a single value needs a trailing comma: ("x",))'
                )

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host name of the outlet: the domain, ``www.`` and ``m.`` forms and aliases."""
        names = [self.domain, *self.aliases]
        out: list[str] = []
        for name in names:
            for host in (name, f"www.{name}", f"m.{name}"):
                if host not in out:
                    out.append(host)
        return tuple(out)

    def effective(self) -> OutletProfile:
        """The profile with ``overrides`` applied to its template."""
        if not self.overrides:
            return self
        return replace(self, template=replace(self.template, **self.overrides), overrides={})

    def dateline_regex(self) -> re.Pattern[str] | None:
        """One compiled pattern matching any dateline marker plus the dash that follows it."""
        if not self.dateline_markers:
            return None
        alternatives = "|".join(f"(?:{m})" for m in self.dateline_markers)
        return re.compile(rf"^\s*(?:{alternatives})\s*[-–—:]?\s*", re.IGNORECASE)

    def is_article_url(self, path: str) -> bool:
        """Whether a URL path (with query) is one of this outlet's article pages."""
        if any(re.search(p, path) for p in self.deny_patterns):
            return False
        return any(re.search(p, path) for p in self.article_patterns)
