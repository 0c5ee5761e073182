"""Article extraction: a pure function from one page's HTML and URL to an :class:`Article`.

Pages of a profiled outlet are read with its template's selectors; anything else (or a
profiled page whose body selector finds nothing) goes through trafilatura with the
Vietnamese boilerplate guards. Both paths share the metadata readers.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING

import trafilatura

from crawler.extraction.dom import PageParseError, parse
from crawler.extraction.generic import extract_generic
from crawler.extraction.metadata import read_metadata
from crawler.extraction.profiled import extract_profiled
from crawler.outlets import OutletProfile, profile_for_url

if TYPE_CHECKING:
    from crawler.items import Article

__all__ = ["EXTRACTOR_VERSION", "PageParseError", "extract", "extractor_version"]

EXTRACTOR_VERSION = "1.0.0"
"""Version of the extraction code; bump it when a change alters extracted fields."""


def extractor_version(profile: OutletProfile | None) -> str:
    """The code version plus a digest of the outlet profile (or trafilatura's version).

    Changing an outlet's selectors changes its version, so stored articles extracted with
    the old profile can be found and re-extracted."""
    if profile is None:
        return f"{EXTRACTOR_VERSION}+generic.trafilatura-{trafilatura.__version__}"
    return _profile_version(profile.name, repr(profile), profile.template.name)


@cache
def _profile_version(name: str, description: str, template: str) -> str:
    digest = hashlib.sha256(description.encode("utf-8")).hexdigest()[:10]
    return f"{EXTRACTOR_VERSION}+{template}.{digest}"


def extract(html: str | bytes, url: str) -> Article:
    """Extract the article on one page.

    ``url`` is the page's real address (it selects the outlet profile and resolves links).
    Raises :class:`PageParseError` when the input is not an HTML document.
    """
    root = parse(html)
    meta = read_metadata(root, url)
    profile = profile_for_url(url)
    if profile is not None:
        article = extract_profiled(root, meta, url, profile, extractor_version(profile))
        if article is not None:
            return article
    return extract_generic(root, meta, url, profile, extractor_version(profile))
