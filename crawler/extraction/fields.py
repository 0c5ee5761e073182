"""Article fields that every extraction path derives the same way from page metadata."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from slugify import slugify

from crawler.extraction.dates import VIETNAM, ParsedDate, most_precise, parse_any
from crawler.extraction.text import fold, fold_or_none, strip_suffix_site_name
from crawler.urls import canonicalize, fold_host, same_site

if TYPE_CHECKING:
    from datetime import tzinfo

    from crawler.extraction.metadata import PageMetadata
    from crawler.outlets import OutletProfile

# A dateline marker: parenthesised such as "(Baohatinh.vn) - " or "(HGO) – ", or a bare
# capitalised word such as "TPO - ", "QTO - " or "VTV.vn - ".
GENERIC_DATELINE = re.compile(
    r"^\s*(?:\((?=[^()]*[A-ZĐ])[^()\s][^()]{0,28}\)\s*[-–—]\s*"
    r"|[A-ZĐ]{2,6}(?:\.[A-Za-z]{2,3})?\s*[-–—]\s+)"
)
_VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
_HOME_CRUMBS = {"trang chủ", "home", "trang chu", "tin tức"}
_SLUG_MAX = 120


def local_zone(url: str, profile: OutletProfile | None) -> tzinfo:
    """The zone of times a page prints without an offset: Vietnam's for .vn and outlets."""
    from datetime import UTC

    host = fold_host(urlsplit(url).hostname or "")
    if profile is not None or host.endswith(".vn"):
        return VIETNAM
    return UTC


def strip_dateline(
    text: str, profile: OutletProfile | None, vietnamese: bool = True
) -> tuple[str, bool]:
    """The lead without its dateline marker, and whether one was there.

    The generic "(Xyz) - " marker is only taken off Vietnamese pages: elsewhere "(Reuters) —"
    is part of the article text."""
    pattern = profile.dateline_regex() if profile else None
    for regex in (pattern, GENERIC_DATELINE if vietnamese else None):
        if regex is None:
            continue
        match = regex.match(text)
        if match and match.end() < len(text):
            return text[match.end() :].strip(), True
    return text, False


def title_from_metadata(meta: PageMetadata, profile: OutletProfile | None) -> str | None:
    """The headline from JSON-LD, Open Graph or ``<title>`` minus the outlet name."""
    site_names = tuple(
        n for n in (profile.title if profile else "", meta.first("og:site_name") or "") if n
    )
    for candidate in (
        meta.jsonld_str("headline"),
        meta.first("og:title", "twitter:title"),
        meta.title_tag,
    ):
        if candidate:
            return strip_suffix_site_name(candidate, site_names)
    return None


def published(meta: PageMetadata, visible: str | None, zone: tzinfo) -> ParsedDate | None:
    """The most precise publication date among JSON-LD, meta tags and the visible date."""
    return most_precise(
        [
            parse_any(meta.jsonld_str("datePublished"), zone),
            parse_any(
                meta.first("article:published_time", "og:published_time", "pubdate", "date"),
                zone,
            ),
            parse_any(visible, zone),
        ]
    )


def modified(meta: PageMetadata, visible: str | None, zone: tzinfo) -> ParsedDate | None:
    """The most precise modification date among JSON-LD, meta tags and a visible one."""
    return most_precise(
        [
            parse_any(meta.jsonld_str("dateModified"), zone),
            parse_any(meta.first("article:modified_time", "og:updated_time"), zone),
            parse_any(visible, zone),
        ]
    )


def canonical_url(meta: PageMetadata, url: str) -> str | None:
    """The page's own canonical URL (``rel=canonical``, else ``og:url``) when on the same site."""
    for candidate in (meta.canonical, meta.first("og:url")):
        if not candidate:
            continue
        try:
            normalised = canonicalize(candidate)
        except ValueError:
            continue
        if same_site(normalised, url):
            return normalised
    return None


def outlet_domain(url: str, profile: OutletProfile | None) -> str | None:
    """The outlet's domain: the profile's, else the host without mirror prefixes."""
    if profile is not None:
        return profile.domain
    return fold_host(urlsplit(url).hostname or "") or None


def language(meta: PageMetadata, text: str, profile: OutletProfile | None) -> str | None:
    """ISO 639-1 language: the profile's, the page's declaration, or Vietnamese by its letters."""
    if profile is not None:
        return profile.language
    declared = meta.html_lang or meta.first("og:locale") or meta.jsonld_str("inLanguage")
    if declared:
        return declared.replace("_", "-").split("-")[0].lower() or None
    if len(_VIETNAMESE_LETTERS.findall(text.lower())) > max(20, len(text) // 50):
        return "vi"
    return None


def category_from(crumbs: list[str], meta: PageMetadata) -> str | None:
    """The last breadcrumb that is not the home link, else the declared section."""
    for crumb in reversed(crumbs):
        folded = fold(crumb)
        if folded and folded.lower() not in _HOME_CRUMBS:
            return folded
    return meta.jsonld_str("articleSection") or meta.first("article:section")


def unique(values: list[str]) -> list[str]:
    """Folded, non-empty values without repeats (case-insensitive), first spelling kept."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        folded = fold(value).strip(" ,;#")
        key = folded.casefold()
        if folded and key not in seen:
            seen.add(key)
            out.append(folded)
    return out


def slug_of(title: str | None) -> str | None:
    """python-slugify of the title ("Đảng" gives "dang"), cut at a word boundary."""
    if not title:
        return None
    # text-unidecode named (slugify's "auto" tries ``unidecode`` first): the same slug
    # whatever else is installed, and no failed import per call when Unidecode is absent.
    slug = slugify(title, max_length=_SLUG_MAX, word_boundary=True, backend="text-unidecode")
    return fold_or_none(slug)
