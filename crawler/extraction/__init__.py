"""Article extraction: a pure function from one page's bytes and URL to an :class:`Article`.

Three paths, chosen per page:

* **profiled**: the URL's outlet has a profile; its CMS template says where things are;
* **sniffed**: an unknown outlet whose page carries a known CMS's signature is read with that
  template (:mod:`crawler.extraction.sniff`);
* **generic**: trafilatura picks the text (also when a template's body selector finds
  nothing), and the same structural rules clean it.

All paths share the charset rules (:mod:`~crawler.extraction.charset`), structural pruning
(:mod:`~crawler.extraction.structure`), caption rules (:mod:`~crawler.extraction.captions`),
the shared body rules (:mod:`~crawler.extraction.bodytext`), field voting
(:mod:`~crawler.extraction.voting`) and learned boilerplate
(:mod:`~crawler.extraction.learned`, passed in: extraction never queries the database).
:func:`extract_page` adds the verdict on what the page is (:mod:`~crawler.extraction.pagekind`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import trafilatura

from crawler.extraction.context import PageContext
from crawler.extraction.dom import PageParseError, SelectorIndex, parse_document
from crawler.extraction.explain import Explanation
from crawler.extraction.fields import local_zone
from crawler.extraction.generic import extract_generic
from crawler.extraction.learned import LearnedBoilerplate
from crawler.extraction.metadata import read_metadata
from crawler.extraction.pagekind import PageKind, PageSignals, classify, read_signals
from crawler.extraction.profiled import extract_profiled
from crawler.extraction.sniff import sniff_profile
from crawler.extraction.structure import LinkJudge, looks_like_article_path
from crawler.extraction.voting import outlet_names
from crawler.outlets import OutletProfile, profile_for_url
from crawler.urls import fold_host

if TYPE_CHECKING:
    from crawler.items import Article

__all__ = [
    "EXTRACTOR_VERSION",
    "Explanation",
    "LearnedBoilerplate",
    "PageOutcome",
    "PageParseError",
    "extract",
    "extract_page",
    "extractor_version",
    "outlet_key",
]

EXTRACTOR_VERSION = "2.0.0"
"""Version of the extraction code; bump it when a change alters extracted fields."""


def extractor_version(
    profile: OutletProfile | None, learned: LearnedBoilerplate | None = None
) -> str:
    """The code version plus a digest of the outlet profile (or trafilatura's version), and
    of the learned boilerplate when there is some.

    Changing an outlet's selectors, or learning its boilerplate again, changes its version,
    so stored articles extracted before can be found and re-extracted."""
    if profile is None:
        version = f"{EXTRACTOR_VERSION}+generic.trafilatura-{trafilatura.__version__}"
    else:
        version = _profile_version(profile)
    digest = learned.digest if learned is not None else ""
    return f"{version}.lb-{digest}" if digest else version


_PROFILE_VERSIONS: dict[int, tuple[OutletProfile, str]] = {}
"""Version by profile object (a profile holds a dict, so it cannot be a cache key itself;
its repr, the digest's input, takes longer than many an extraction step)."""


def _profile_version(profile: OutletProfile) -> str:
    known = _PROFILE_VERSIONS.get(id(profile))
    if known is not None and known[0] is profile:
        return known[1]
    digest = hashlib.sha256(repr(profile).encode("utf-8")).hexdigest()[:10]
    version = f"{EXTRACTOR_VERSION}+{profile.template.name}.{digest}"
    if len(_PROFILE_VERSIONS) >= 4096:  # profiles made on the fly (tests): keep it bounded
        _PROFILE_VERSIONS.clear()
    _PROFILE_VERSIONS[id(profile)] = (profile, version)  # the entry keeps the id taken
    return version


def _sniffed_version(profile: OutletProfile, learned: LearnedBoilerplate | None) -> str:
    digest = hashlib.sha256(repr(profile.template).encode("utf-8")).hexdigest()[:10]
    version = f"{EXTRACTOR_VERSION}+sniffed-{profile.template.name}.{digest}"
    extra = learned.digest if learned is not None else ""
    return f"{version}.lb-{extra}" if extra else version


@dataclass
class PageOutcome:
    """What one fetched page gave: an article, or the reason it is not one."""

    article: Article | None
    """The article to store, or None when the page is not one (or could not be parsed)."""

    failure: str | None
    """Why there is no article (stored as the failed page's error), or None."""

    kind: str
    """``"article"``, a non-article kind (``"soft404"``, ``"video"``...), ``"empty"`` or
    ``"unparseable"``."""

    explanation: Explanation | None = None
    """How the page was read (None when it could not be parsed)."""

    extracted: Article | None = None
    """What the extractor made of the page, also when it is not an article (for --explain)."""


def _context(
    html: str | bytes,
    url: str,
    content_type: str | None,
    learned: LearnedBoilerplate | None,
    explain: Explanation,
    judging: bool,
) -> tuple[PageContext, OutletProfile | None, bool]:
    root, decoded = parse_document(html, content_type)
    explain.decoding = f"{decoded.encoding} ({decoded.source})"
    meta = read_metadata(root, url)
    profile = profile_for_url(url)
    # A profiled page runs a dozen template selectors (the index pays); another page only
    # the CMS signatures, which most pages lack.
    index = SelectorIndex(root, eager=profile is not None)
    sniffed = False
    if profile is None:
        profile = sniff_profile(index, url, meta)
        sniffed = profile is not None
    judge = LinkJudge(url, profile.is_article_url if profile else looks_like_article_path)
    names = outlet_names(meta, url, *(p for p in (profile.title if profile else "",) if p))
    ctx = PageContext(
        url=url,
        root=root,
        index=index,
        meta=meta,
        profile=profile,
        learned=learned,
        explain=explain,
        judge=judge,
        zone=local_zone(url, profile),
        outlet_names=names,
    )
    if judging:  # read before extraction prunes the tree
        ctx.signals = read_signals(root, meta, judge, positions=profile is None or sniffed)
    return ctx, profile, sniffed


def _extract(
    html: str | bytes,
    url: str,
    content_type: str | None,
    learned: LearnedBoilerplate | None,
    explain: Explanation,
    judging: bool = False,
) -> tuple[Article, PageContext]:
    ctx, profile, sniffed = _context(html, url, content_type, learned, explain, judging)
    if profile is not None:
        version = (
            _sniffed_version(profile, learned) if sniffed else extractor_version(profile, learned)
        )
        explain.path = (
            f"sniffed template {profile.template.name}"
            if sniffed
            else f"profile {profile.name} (template {profile.template.name})"
        )
        article = extract_profiled(ctx, profile, version)
        if article is not None:
            return article, ctx
        if sniffed:  # the signature matched but the body did not: nothing of it is trusted
            profile = ctx.profile = None
            ctx.judge = LinkJudge(url, looks_like_article_path)
    explain.path = (
        f"generic (profile {profile.name}: its body selector found nothing)"
        if profile is not None
        else "generic"
    )
    return extract_generic(ctx, extractor_version(profile, learned)), ctx


def extract(
    html: str | bytes,
    url: str,
    *,
    content_type: str | None = None,
    learned: LearnedBoilerplate | None = None,
    explain: Explanation | None = None,
) -> Article:
    """Extract the article on one page.

    ``url`` is the page's real address (it selects the outlet profile and resolves links);
    ``content_type`` the HTTP ``Content-Type`` header when known (its charset outranks the
    page's ``<meta>``); ``learned`` the outlet's learned boilerplate; ``explain``, when
    given, is filled with the reasons for every choice. Raises :class:`PageParseError` when
    the input is not an HTML document. Whatever the page is, an :class:`Article` is returned;
    :func:`extract_page` also says whether it is one.
    """
    return _extract(html, url, content_type, learned, explain or Explanation())[0]


def extract_page(
    body: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    learned: LearnedBoilerplate | None = None,
    thorough: bool = False,
) -> PageOutcome:
    """Extract a fetched page and judge it: an article to store, or a failure with a reason.

    This is what the spiders and re-extraction call with a response's body, URL and
    ``Content-Type`` header. Pages that are not articles (soft 404, video, podcast,
    e-magazine, gallery, listing) and pages without title or text come back with
    ``article=None`` and the reason in ``failure``; nothing raises for bad input.
    ``thorough`` makes the explanation list every source, also those that could not change
    the result (slower; for ``crawler extract --explain``)."""
    explain = Explanation(thorough=thorough)
    try:
        article, ctx = _extract(body, url, content_type, learned, explain, judging=True)
    except PageParseError as exc:
        return PageOutcome(None, f"PageParseError: {exc}", "unparseable")
    signals: PageSignals | None = ctx.signals
    assert signals is not None
    verdict: PageKind = classify(
        article, ctx.root, ctx.meta, signals, explain=explain, listing=ctx.listing
    )
    explain.kind = verdict.kind
    explain.kind_reason = verdict.reason or None
    if not verdict.is_article:
        failure = (
            verdict.reason
            if verdict.kind == "empty"
            else f"not an article ({verdict.kind}): {verdict.reason}"
        )
        return PageOutcome(None, failure, verdict.kind, explain, article)
    return PageOutcome(article, None, "article", explain, article)


def outlet_key(url: str) -> str:
    """The outlet a page belongs to, as learned boilerplate is keyed (``Article.outlet``):
    its profile's domain, else its host without ``www.``/``m.``."""
    profile = profile_for_url(url)
    if profile is not None:
        return profile.domain
    return fold_host(urlsplit(url).hostname or "")
