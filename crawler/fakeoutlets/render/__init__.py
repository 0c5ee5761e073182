"""HTML renderers, one module per CMS template.

Each template module exposes ``render_article(source, site, options) -> str``;
:func:`render_article` picks the module from the site's template.
"""

from __future__ import annotations

from collections.abc import Callable

from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions
from crawler.fakeoutlets.render import cantho, epi, haugiang, onecms, tagdiv
from crawler.fakeoutlets.sites import Site
from crawler.fakeoutlets.source import ArticleSource

ArticleRenderer = Callable[[ArticleSource, Site, PageOptions], str]

RENDERERS: dict[str, ArticleRenderer] = {
    "epi": epi.render_article,
    "onecms": onecms.render_article,
    "tagdiv": tagdiv.render_article,
    "haugiang": haugiang.render_article,
    "cantho": cantho.render_article,
}
"""Article renderer of every template, by template name."""


def render_article(
    source: ArticleSource, site: Site, options: PageOptions = DEFAULT_OPTIONS
) -> str:
    """The article page of ``source`` in ``site``'s template."""
    return RENDERERS[site.template](source, site, options)


__all__ = ["RENDERERS", "ArticleRenderer", "render_article"]
