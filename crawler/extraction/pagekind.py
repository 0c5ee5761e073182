"""Not every 200 is an article: soft 404s, video, podcast, e-magazine, gallery, listing pages.

A crawler reaches such pages through URLs that look like articles (a removed story that
answers 200 "Bài viết không tồn tại", a video filed under an article-shaped URL, a category
page). Storing them as articles pollutes the archive, so :func:`classify` looks at the page
and at what the extractor made of it, and names the kind with a reason. Each rule needs the
page to *say* what it is (its own words, its type metadata, its URL section, its media
player) **and** the extracted text to be thin, so a real article that embeds a video or
links to a podcast stays an article.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from crawler.extraction.dom import text_of
from crawler.extraction.text import fold

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extraction.blocks import Block
    from crawler.extraction.explain import Explanation
    from crawler.extraction.metadata import PageMetadata
    from crawler.extraction.structure import LinkJudge
    from crawler.items import Article

NOT_FOUND = re.compile(
    r"không\s+tìm\s+thấy\s+(?:trang|bài|nội\s+dung|đường\s+dẫn|tin)"
    r"|(?:trang|bài\s+viết|bài|tin|nội\s+dung|đường\s+dẫn|liên\s+kết)\s+(?:này\s+)?"
    r"(?:bạn\s+(?:tìm|truy\s+cập|yêu\s+cầu)\s+)?(?:không\s+tồn\s+tại|đã\s+bị\s+(?:xóa|xoá|gỡ))"
    r"|không\s+tồn\s+tại\s+hoặc\s+đã\s+bị"
    r"|(?:lỗi|error|mã)\s*404|\b404\s*(?:[-:|–]\s*)?(?:error|not\s+found|page)|^\s*404\s*$"
    r"|page\s+not\s+found|\bnot\s+found\b|no\s+longer\s+available|nội\s+dung\s+đã\s+bị\s+gỡ",
    re.IGNORECASE,
)
"""What "this page does not exist" pages say."""

_NOT_FOUND_WORDS = ("thấy", "tồn", "bị", "404", "found", "available")
"""One of these is in every text :data:`NOT_FOUND` matches (lower-cased)."""


def says_not_found(text: str) -> re.Match[str] | None:
    """:data:`NOT_FOUND` in ``text``; most texts are ruled out by a plain substring test
    first (the expression, case-insensitive over many alternatives, is slow)."""
    lowered = text.lower()
    if not any(word in lowered for word in _NOT_FOUND_WORDS):
        return None
    return NOT_FOUND.search(text)


SECTION_KINDS: dict[str, str] = {
    "video": "video",
    "videos": "video",
    "clip": "video",
    "truyen-hinh": "video",
    "tv": "video",
    "podcast": "podcast",
    "podcasts": "podcast",
    "audio": "podcast",
    "radio": "podcast",
    "phat-thanh": "podcast",
    "emagazine": "emagazine",
    "e-magazine": "emagazine",
    "magazine": "emagazine",
    "longform": "emagazine",
    "anh": "gallery",
    "photo": "gallery",
    "photos": "gallery",
    "gallery": "gallery",
    "multimedia": "gallery",
}
"""First URL path segments naming a kind of page that is not a text article."""

_MEDIA_TYPES: dict[str, str] = {
    "videoobject": "video",
    "audioobject": "podcast",
    "podcastepisode": "podcast",
    "imagegallery": "gallery",
    "collectionpage": "listing",
    "itemlist": "listing",
    "searchresultspage": "listing",
}
_ARTICLE_TYPES = ("article", "newsarticle", "reportagenews", "blogposting")

THIN_TEXT = 600
"""Characters of extracted text (sapo + body) below which a page "says little"."""

SOFT404_TEXT = 400
"""A not-found message with more text than this around it is an article about a 404."""

LAYOUT_TEXT = 1500
"""A page whose layout says video/podcast/gallery holds less text than this."""

_LAYOUT_KINDS = {
    "video": "video",
    "videos": "video",
    "podcast": "podcast",
    "audio": "podcast",
    "photo": "gallery",
    "gallery": "gallery",
}
_LAYOUT_TOKEN = re.compile(r"[a-z]+")


def _layout_kind(classes: str) -> str | None:
    """The kind a page's ``<html>``/``<body>`` classes name ("video-page", "page-podcast")."""
    for token in (t for name in classes.split() for t in _LAYOUT_TOKEN.findall(name)):
        if token in _LAYOUT_KINDS:
            return _LAYOUT_KINDS[token]
    return None


GALLERY_BODY = 200
"""A page of pictures whose text outside the captions is shorter than this is a gallery."""

LISTING_LINKS = 12
"""Same-outlet article links a listing page holds at least."""

LISTING_MIN_LINES = 4
LISTING_ENTRY_SHARE = 0.5
"""A text of at least 4 lines, half of them listing entries, is a listing's."""


@dataclass(frozen=True)
class PageSignals:
    """What the page shows about its kind, read before extraction prunes the tree."""

    video_player: bool
    """A ``<video>`` element or a video player widget (only looked for on pages whose URL
    section, type metadata or layout names a video or podcast page)."""

    audio_player: bool
    """An ``<audio>`` element or an audio player widget (same condition)."""

    layout_classes: str
    """The ``class`` attributes of ``<html>`` and ``<body>``, lower-case."""

    links: LinkLayout | None = None
    """Where the links to the outlet's articles stand in the page (only on pages whose
    JSON-LD does not declare an article, read by the paths that judge listings by it)."""

    hrefs: tuple[str, ...] | None = None
    """Every link address of the page, kept unjudged when :attr:`links` is not read (a
    profiled page whose JSON-LD declares no article): judged only if :func:`classify`
    needs :attr:`article_links`."""

    judge: LinkJudge | None = None
    """What tells the outlet's article links from the rest (with :attr:`hrefs`)."""

    @cached_property
    def article_links(self) -> int | None:
        """Distinct links to the outlet's articles; None on pages whose JSON-LD declares an
        article (they are not counted there)."""
        if self.links is not None:
            return self.links.targets
        if self.hrefs is None or self.judge is None:
            return None
        judge = self.judge
        return len({href.strip() for href in self.hrefs if judge.kind(href) == "article"})


@dataclass(frozen=True)
class LinkLayout:
    """The page's elements in document order and where its article links stand, read before
    pruning (which removes headline links) for :func:`listing_evidence`."""

    order: dict[HtmlElement, int]
    """Document position of every element."""

    positions: list[int]
    """Sorted positions of the links to the outlet's articles."""

    headlines: frozenset[str]
    """Texts (case-folded) of those links long enough to be headlines."""

    targets: int = 0
    """Distinct addresses among those links."""


def read_signals(
    root: HtmlElement, meta: PageMetadata, judge: LinkJudge, *, positions: bool = True
) -> PageSignals:
    """The page's kind signals (call before anything prunes the tree). ``positions=False``
    (pages of an outlet with a profile) skips the link layout, which only the generic path's
    :func:`listing_evidence` uses: the page's link addresses are kept, judged only if the
    article-link count is asked for."""
    classes = " ".join(str(e.get("class") or "") for e in (root, *root.iter("body"))).lower()
    video = audio = False
    # A player only counts on a page its URL, metadata or layout calls a video/podcast page
    # (see classify), so it is only looked for there.
    named = {_layout_kind(classes), _section_kind(judge.page_url), _declared_kind(meta)}
    for element in _PLAYER_CANDIDATES(root) if named & {"video", "podcast"} else ():
        if element.tag == "video":
            video = True
        elif element.tag == "audio":
            audio = True
        else:
            names = str(element.get("class") or "")
            video = video or "video-player" in names or "videoplayer" in names
            audio = audio or "audio-player" in names or "audioplayer" in names
    layout = hrefs = None
    if not declares_article(meta):
        if positions:
            layout = _layout(root, judge)
        else:
            # Links are only counted if classify needs them (few pages): judging every
            # link of the page was most of the signals' cost.
            hrefs = tuple(str(href) for href in _HREFS(root))
    return PageSignals(
        video_player=video,
        audio_player=audio,
        layout_classes=classes,
        links=layout,
        hrefs=hrefs,
        judge=judge,
    )


_HREFS = etree.XPath("//a/@href", smart_strings=False)


# One pass over the tree: a <video>/<audio> element or a player widget's class.
_PLAYER_CANDIDATES = etree.XPath("//*[self::video or self::audio or contains(@class, 'player')]")


def _layout(root: HtmlElement, judge: LinkJudge) -> LinkLayout:
    order = {element: index for index, element in enumerate(root.iter())}
    positions: list[int] = []
    headlines: set[str] = set()
    targets: set[str] = set()
    for anchor in root.iter("a"):
        href = str(anchor.get("href") or "")
        if judge.kind(href) != "article":
            continue
        targets.add(href.strip())
        positions.append(order[anchor])
        text = fold(anchor.text_content()).casefold()
        if len(text) >= HEADLINE_MIN:
            headlines.add(text)
    return LinkLayout(order, sorted(positions), frozenset(headlines), len(targets))


@dataclass(frozen=True)
class PageKind:
    """What a page is, and why."""

    kind: str
    """``"article"``, ``"soft404"``, ``"video"``, ``"podcast"``, ``"emagazine"``,
    ``"gallery"``, ``"listing"`` or ``"empty"`` (no title or no text at all)."""

    reason: str
    """The evidence, in words (stored as the failed page's error)."""

    @property
    def is_article(self) -> bool:
        """Whether the page is an article to store."""
        return self.kind == "article"


ARTICLE = PageKind("article", "")


def _is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _section_kind(url: str) -> str | None:
    segments = [s for s in urlsplit(url).path.lower().split("/") if s]
    for segment in segments[:2]:
        if segment in SECTION_KINDS:
            return SECTION_KINDS[segment]
    return None


def _declared_kind(meta: PageMetadata) -> str | None:
    og_type = (meta.first("og:type") or "").lower()
    if og_type.startswith("video"):
        return "video"
    if og_type.startswith(("music", "audio")):
        return "podcast"
    types = meta.jsonld.get("@type", [])
    type_list = [str(t).lower() for t in (types if isinstance(types, list) else [types])]
    if any(t in _ARTICLE_TYPES for t in type_list):
        return None
    for declared in type_list:
        if declared in _MEDIA_TYPES:
            return _MEDIA_TYPES[declared]
    return None


OWN_DATE_SOURCES = frozenset(
    {
        "json-ld datePublished",
        "meta published time",
        "template date element",
        "visible text near the headline",
    }
)
"""Date sources that are the page's own statement (not a guess from anywhere in it)."""


def classify(
    article: Article,
    root: HtmlElement,
    meta: PageMetadata,
    signals: PageSignals,
    *,
    explain: Explanation,
    listing: tuple[int, int] | None,
) -> PageKind:
    """The kind of page (see the module docstring)."""
    text = "\n".join(p for p in (article.sapo, article.body) if p)
    size = len(text)
    headings = [
        fold(t)
        for t in (
            article.title,
            meta.title_tag,
            meta.first("og:title"),
            *(text_of(e) for e in root.iter("h1")),
        )
        if t
    ]
    said = next((h for h in headings if says_not_found(h)), None)
    if said is not None and size < SOFT404_TEXT * 3:
        return PageKind("soft404", f"the page says it does not exist ({said[:80]!r})")
    if size < SOFT404_TEXT and says_not_found(text):
        return PageKind("soft404", f"its only text says the page does not exist ({text[:80]!r})")
    if size < THIN_TEXT:
        canonical = meta.canonical or meta.first("og:url")
        if canonical and _is_site_root(canonical) and not _is_site_root(article.url):
            return PageKind(
                "soft404", f"an article URL whose page calls itself the home page ({canonical})"
            )
        body = next(iter(root.iter("body")), None)
        found = says_not_found(body.text_content()) if body is not None else None
        if found is not None:
            return PageKind(
                "soft404", f"little text, and the page says {found.group(0)!r} somewhere"
            )

    section = _section_kind(article.url)
    declared = _declared_kind(meta)
    if section == "emagazine":
        return PageKind("emagazine", "the URL is in the e-magazine section")
    if "emagazine" in signals.layout_classes or "e-magazine" in signals.layout_classes:
        return PageKind("emagazine", "the page is laid out as an e-magazine")
    layout = _layout_kind(signals.layout_classes)
    for kind in ("video", "podcast", "gallery"):
        player = (kind == "video" and signals.video_player) or (
            kind == "podcast" and signals.audio_player
        )
        evidence = [
            why
            for why, present in (
                ("its URL section", section == kind),
                ("its type metadata", declared == kind),
                ("its page layout", layout == kind),
                ("a media player", player),
            )
            if present
        ]
        strong = section == kind or declared == kind
        # A page laid out as a video (or podcast) page with its player holds a short text
        # (a description, a transcript's start): thin, but not as thin as a bare player.
        laid_out = layout == kind and (player or kind == "gallery")
        if (strong and size < THIN_TEXT) or (laid_out and size < LAYOUT_TEXT):
            why = ", ".join(evidence)
            return PageKind(kind, f"a {kind} page ({why}), {size} characters of text")
    captions = [i["caption"] for i in article.images if i["caption"]]
    body_size = len(article.body or "")
    if len(article.images) >= 3 and body_size < GALLERY_BODY and sum(map(len, captions)) >= 200:
        return PageKind(
            "gallery",
            f"a photo story: {len(article.images)} pictures, its text is their captions "
            f"({body_size} characters outside them)",
        )
    if declared == "listing" and size < THIN_TEXT * 3:
        return PageKind("listing", "its metadata says it is a collection page")
    if listing is not None and signals.article_links is not None:
        entries, lines = listing
        if lines >= LISTING_MIN_LINES and entries >= LISTING_ENTRY_SHARE * lines:
            return PageKind(
                "listing",
                f"{entries} of its {lines} text lines are listing entries (a headline link "
                "between them or inside them); no JSON-LD article",
            )
    date = explain.fields.get("published_at")
    title = explain.fields.get("title")
    own_date = date is not None and date.source in OWN_DATE_SOURCES
    shown_title = (
        title is not None
        and title.source is not None
        and title.source.startswith(("selector", "element"))
    )
    # The links are only counted when they can decide (their count is the costly signal).
    links = signals.article_links if not article.body or not (own_date or shown_title) else None
    if links is not None and links >= LISTING_LINKS:
        if not article.body:
            reason = f"no text of its own besides {links} links to articles, no JSON-LD article"
        else:
            reason = (
                f"{links} links to articles, no headline of its own, no publication date "
                "of its own, no JSON-LD article"
            )
        return PageKind("listing", reason)
    if not article.title or not article.body:
        missing = ", ".join(f for f in ("title", "body") if not getattr(article, f))
        return PageKind("empty", f"no {missing} found")
    return ARTICLE


def declares_article(meta: PageMetadata) -> bool:
    """Whether the page's JSON-LD declares an article (``og:type`` is no evidence: many
    Vietnamese CMSes print ``og:type=article`` on every page, section pages included)."""
    types = meta.jsonld.get("@type", [])
    type_list = [str(t).lower() for t in (types if isinstance(types, list) else [types])]
    return any(t in _ARTICLE_TYPES for t in type_list)


HEADLINE_MIN = 25
"""An article link's text at least this long is a headline (shorter ones are labels)."""


def listing_evidence(blocks: list[Block], layout: LinkLayout) -> tuple[int, int]:
    """How the extracted text sits among the page's links: (entry lines, lines).

    A line is a listing entry when a link to another article stands between it and the
    previous line in the page (the next entry's headline: the text is the entries'
    teasers), or when the line contains a headline (extractors join an entry's headline and
    teaser). An article's paragraphs follow each other with no such link between them."""
    links = layout.positions
    entries = 0
    previous: int | None = None
    for block in blocks:
        line = block.text.casefold()
        position = layout.order.get(block.element) if block.element is not None else None
        between = False
        if position is not None and previous is not None and position > previous:
            first = bisect_right(links, previous)
            between = first < len(links) and links[first] < position
        if position is not None:
            previous = position
        if between or any(h in line for h in layout.headlines):
            entries += 1
    return entries, len(blocks)
