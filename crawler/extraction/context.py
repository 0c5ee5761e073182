"""What every extraction step of one page needs to know, gathered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import tzinfo

    from lxml.html import HtmlElement

    from crawler.extraction.dom import SelectorIndex
    from crawler.extraction.explain import Explanation
    from crawler.extraction.learned import LearnedBoilerplate
    from crawler.extraction.metadata import PageMetadata
    from crawler.extraction.pagekind import PageSignals
    from crawler.extraction.structure import LinkJudge
    from crawler.outlets import OutletProfile


@dataclass
class PageContext:
    """One page being extracted: its tree, metadata, outlet and what is known about it."""

    url: str
    """The page's real URL."""

    root: HtmlElement
    """The parsed document (steps may prune it once they have read what they need)."""

    index: SelectorIndex
    """The document's elements by class, for selectors run on the whole page."""

    meta: PageMetadata
    """JSON-LD, meta tags, canonical link, ``<title>``."""

    profile: OutletProfile | None
    """The outlet's profile, a provisional one for a recognised CMS, or None."""

    learned: LearnedBoilerplate | None
    """Boilerplate learned from the archive for this outlet, if any."""

    explain: Explanation
    """Where every decision is recorded."""

    judge: LinkJudge
    """Tells links to the same outlet's articles from others."""

    zone: tzinfo
    """The zone of printed times without an offset."""

    outlet_names: tuple[str, ...]
    """Names the outlet goes by (never an author, never a title)."""

    signals: PageSignals | None = None
    """What the page shows about its kind, read before anything is pruned (only when the
    page is being judged, see :func:`crawler.extraction.extract_page`)."""

    hints: frozenset[str] = frozenset()
    """Caption texts the page hid in its pictures' blocks (generic path)."""

    listing: tuple[int, int] | None = None
    """Listing evidence of the generic path: (lines that are listing entries, lines)."""
