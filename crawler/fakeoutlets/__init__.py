"""Fake news outlets: article source records rendered in each outlet's CMS template.

The package turns hand-written source records (the ground truth of the test fixtures) into
realistic article pages of eight Vietnamese provincial papers on five CMS templates. The
fixture builder (``scripts/build_fixture_pages.py``) stores those pages under
``tests/fixtures/<outlet>/``; a fake-outlet web server can serve the same renderings.
"""

from __future__ import annotations

from crawler.fakeoutlets.cases import PAGE_OPTIONS, page_options
from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions
from crawler.fakeoutlets.render import render_article
from crawler.fakeoutlets.sites import SITES, Site, get_site
from crawler.fakeoutlets.source import ArticleSource, Block, RelatedLink, load_source, load_sources

__all__ = [
    "DEFAULT_OPTIONS",
    "PAGE_OPTIONS",
    "SITES",
    "ArticleSource",
    "Block",
    "PageOptions",
    "RelatedLink",
    "Site",
    "get_site",
    "load_source",
    "load_sources",
    "page_options",
    "render_article",
    "render_page",
]


def render_page(source: ArticleSource) -> str:
    """The stored page of a record: its outlet's template with the case's page options."""
    return render_article(source, get_site(source.outlet), page_options(source.outlet, source.case))
