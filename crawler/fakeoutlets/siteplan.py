"""What each fake outlet serves at each path: the routing behind the fake-outlet server.

:class:`SitePlan` answers ``(outlet, path, query) -> Reply`` from a :class:`Corpus`, without
any network code, so it can be tested directly. Per outlet it serves robots.txt, the
profile's sitemap index with monthly sitemaps, a news sitemap (EPI and OneCMS outlets), the
profile's RSS feed, home and category pages with pagination, tag pages, article pages, and
the fault pages listed in :meth:`SitePlan.special_urls`.

Every URL printed or sent in a ``Location`` is the outlet's real ``https://<domain>/…`` URL.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

from crawler.fakeoutlets.corpus import (
    Corpus,
    Entry,
    article_url,
    fast_slug,
    in_section,
    listing_sections,
)
from crawler.fakeoutlets.pages import (
    ListItem,
    ToolLinks,
    epaper_page,
    listing_page,
    not_found_page,
    search_page,
    video_page,
)
from crawler.fakeoutlets.render import render_article
from crawler.fakeoutlets.sites import SITES, Section, Site
from crawler.outlets import OutletProfile, get_profile
from crawler.urls import fold_host

if TYPE_CHECKING:
    from datetime import datetime

PER_PAGE = 20
"""Entries per listing page."""

FEED_SIZE = 30
"""Items per RSS feed."""

EXTERNAL_HOST = "tinlienket.example.org"
"""Where the off-site redirect points (a reserved name: never fetched)."""

TRACKING_QUERIES: tuple[str, ...] = (
    "utm_source=home&utm_medium=web",
    "fbclid=IwAR0fake0outlet0link",
    "zarsrc=31",
)
"""Query strings some listing links carry (every fifth link, in turn)."""

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

SPECIAL_KEYS: tuple[str, ...] = (
    "redirect_old",
    "redirect_old_target",
    "redirect_external",
    "redirect_external_target",
    "removed",
    "soft404",
    "flaky",
    "video",
    "tag",
    "epaper",
    "search",
)
"""Keys of :meth:`SitePlan.special_urls`."""


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _sitemap_month_path(template: str, year: int, month: int) -> str:
    if template == "tagdiv":
        return f"/post-sitemap-{year:04d}-{month:02d}.xml"
    if template == "cantho":
        return f"/sitemap/{year:04d}-{month:02d}.xml"
    if template == "onecms":
        return f"/sitemaps/news-{year:04d}-{month:02d}.xml"
    return f"/sitemaps/sitemap-{year:04d}-{month:02d}.xml"


def _page_path(template: str, base: str, page: int) -> str:
    """Path (with query) of listing page ``page`` of a listing at ``base``."""
    if page <= 1:
        return base
    if template == "tagdiv":
        return f"{base.rstrip('/')}/page/{page}/"
    if template in ("onecms", "cantho"):
        return f"{base.rstrip('/')}/trang-{page}.html"
    return f"{base}?page={page}"


def _split_page(template: str, path: str, query: str) -> tuple[str, int]:
    """(listing base path, page number) of a requested listing path."""
    if template == "tagdiv" and "/page/" in path:
        base, _, rest = path.rpartition("/page/")
        number = rest.strip("/")
        if number.isdigit():
            return (base or "") + "/", int(number)
    if template in ("onecms", "cantho"):
        head, _, last = path.rpartition("/")
        if last.startswith("trang-") and last.endswith(".html"):
            number = last[len("trang-") : -len(".html")]
            if number.isdigit():
                return head + "/", int(number)
    if template in ("epi", "haugiang"):
        values = parse_qs(query).get("page")
        if values and values[0].isdigit():
            return path, int(values[0])
    return path, 1


def _xml(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


@dataclass
class _Outlet:
    """Per-outlet routing data fixed when the plan is built."""

    site: Site
    profile: OutletProfile
    tools: ToolLinks
    sections: dict[str, Section]
    """Listing path → section (menu form and profile form)."""
    specials: dict[str, str]
    old_paths: dict[str, str]
    """Old-style article path → real article URL."""
    external_path: str
    removed_path: str
    soft404_path: str
    flaky_path: str
    video_path: str


class SitePlan:
    """Routing of every fake outlet over one corpus."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._lock = threading.Lock()
        self._fault_hits: dict[str, int] = {}
        self._cache: dict[tuple[str, ...], object] = {}
        self._cache_version = -1
        self._pages: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._outlets = {name: self._plan(name) for name in corpus.outlets}
        self._hosts: dict[str, str] = {}
        for name, plan in self._outlets.items():
            for host in (plan.site.domain, *plan.profile.hosts):
                self._hosts[fold_host(host)] = name

    # --- set-up ---------------------------------------------------------------------------

    def _plan(self, outlet: str) -> _Outlet:
        site = SITES[outlet]
        profile = get_profile(outlet)
        corpus = self.corpus
        sections: dict[str, Section] = {}
        for sec in listing_sections(site, profile):
            sections["/" + sec.path.lstrip("/")] = sec
            sections[urlsplit(site.section_url(sec)).path] = sec
        entries = corpus.entries(outlet)
        synthetic = [e for e in entries if e.synthetic] or entries
        first_listing = urlsplit(profile.listings[0]).path if profile.listings else "/"
        listed = sections.get(first_listing)
        in_listing = [e for e in synthetic if listed and in_section(site, e.category, listed)]
        flaky = (in_listing or synthetic)[0]
        old_targets = [e for e in synthetic if e is not flaky][:2]
        old_paths = {self._old_path(site, e): e.url for e in old_targets}
        top = site.menu[0].name
        when = corpus.now

        def fake_path(title: str, section: str = top) -> str:
            url = article_url(site, title, fast_slug(title), section, when)
            path = urlsplit(url).path
            if not profile.is_article_url(path) or corpus.lookup(outlet, path):
                raise ValueError(f"{outlet}: made-up article URL {url} is unusable")
            return path

        removed = fake_path(f"{site.title} gỡ bài viết về dự án treo chậm tiến độ")
        soft = fake_path(f"Bài viết tạm ẩn của {site.title} chờ biên tập lại")
        external = fake_path(f"{site.title} liên kết tin đối tác đăng lại")
        video_slug = fast_slug(f"Video {site.title} điểm tin cuối tuần")
        video = self._video_path(site, profile, video_slug)
        epaper = "/epaper/" if any("epaper" in p for p in profile.deny_patterns) else "/bao-in/"
        tag_name = site.events[0].title if site.events else "Chuyển đổi số"
        tag_url = site.tag_url(tag_name)
        search = site.absolute("/tim-kiem/?q=" + fast_slug(tag_name).replace("-", "+"))
        tools = ToolLinks(
            video=site.absolute(video),
            epaper=site.absolute(epaper),
            search=search,
            tag=tag_url,
            tag_name=tag_name,
        )
        old_path, old_target = next(iter(old_paths.items()))
        specials = {
            "redirect_old": site.absolute(old_path),
            "redirect_old_target": old_target,
            "redirect_external": site.absolute(external),
            "redirect_external_target": f"https://{EXTERNAL_HOST}{external}",
            "removed": site.absolute(removed),
            "soft404": site.absolute(soft),
            "flaky": flaky.url,
            "video": site.absolute(video),
            "tag": tag_url,
            "epaper": site.absolute(epaper),
            "search": search,
        }
        return _Outlet(
            site=site,
            profile=profile,
            tools=tools,
            sections=sections,
            specials=specials,
            old_paths=old_paths,
            external_path=external,
            removed_path=removed,
            soft404_path=soft,
            flaky_path=flaky.path,
            video_path=video,
        )

    @staticmethod
    def _old_path(site: Site, entry: Entry) -> str:
        """The URL an article had before (shorter slug, older id form or no final slash)."""
        path = entry.path
        slug = fast_slug(entry.title)
        short = "-".join(slug.split("-")[:4])
        if short == slug:
            short = f"{slug}-ban-cu"
        if site.url_style == "tagdiv":
            return path.rstrip("/")
        if site.url_style == "onecms":
            return f"/{slug}-post{path.rsplit('-', 1)[1][:6]}.html"
        if site.url_style == "haugiang":
            return "/tin-tuc/" + path.rsplit("/", 1)[1]
        return path.replace(slug, short, 1)

    @staticmethod
    def _video_path(site: Site, profile: OutletProfile, slug: str) -> str:
        style = site.url_style
        if style == "post":
            path = f"/video/{slug}-post123457.html"
        elif style == "onecms":
            path = f"/video/{slug}-12345679.html"
        elif style == "tagdiv":
            path = f"/video/202601/{slug}-9a8b7c6/"
        elif style == "haugiang":
            path = f"/video/{slug}-123457.html"
        else:
            path = f"/video/{slug}-a123457.html"
        assert not profile.is_article_url(path), path
        return path

    # --- queries --------------------------------------------------------------------------

    def outlet_for_host(self, host: str) -> str | None:
        """The outlet a Host (or X-Archive-Host) header names, or None."""
        name = fold_host(host.split(":")[0]) if host else ""
        return self._hosts.get(name)

    def special_urls(self, outlet: str) -> dict[str, str]:
        """The fault and non-article URLs of one outlet (keys: :data:`SPECIAL_KEYS`).

        ``redirect_old`` 301s to ``redirect_old_target``; ``redirect_external`` 301s off-site
        to ``redirect_external_target``; ``removed`` is a 404; ``soft404`` a 200 "not found"
        page; ``flaky`` an article answering 500 once, then normally; ``video``, ``tag``,
        ``epaper`` and ``search`` are non-article pages (deny patterns / robots.txt)."""
        return dict(self._outlets[outlet].specials)

    def old_urls(self, outlet: str) -> dict[str, str]:
        """Every old-style URL that redirects, with the article URL it redirects to."""
        plan = self._outlets[outlet]
        return {plan.site.absolute(p): url for p, url in plan.old_paths.items()}

    def sitemap_urls(self, outlet: str) -> list[str]:
        """The sitemap (index) URLs robots.txt names."""
        plan = self._outlets[outlet]
        urls = list(plan.profile.sitemaps) or [plan.site.absolute("/sitemap.xml")]
        if self._has_news_sitemap(plan):
            urls.append(plan.site.absolute("/sitemap-news.xml"))
        return urls

    def reset_faults(self) -> None:
        """Make the flaky URLs fail once more."""
        with self._lock:
            self._fault_hits.clear()

    # --- cached views ---------------------------------------------------------------------

    def _cached(self, key: tuple[str, ...], build: object) -> object:
        with self._lock:
            if self._cache_version != self.corpus.version:
                self._cache.clear()
                self._cache_version = self.corpus.version
            if key in self._cache:
                return self._cache[key]
        assert callable(build)
        value = build()
        with self._lock:
            self._cache[key] = value
        return value

    def _months(self, outlet: str) -> dict[tuple[int, int], list[Entry]]:
        def build() -> dict[tuple[int, int], list[Entry]]:
            months: dict[tuple[int, int], list[Entry]] = {}
            for entry in self.corpus.entries(outlet):
                months.setdefault((entry.published.year, entry.published.month), []).append(entry)
            return months

        value = self._cached(("months", outlet), build)
        assert isinstance(value, dict)
        return value

    def _section_entries(self, outlet: str, section: Section) -> list[Entry]:
        site = self._outlets[outlet].site

        def build() -> list[Entry]:
            return [e for e in self.corpus.entries(outlet) if in_section(site, e.category, section)]

        value = self._cached(("section", outlet, section.name), build)
        assert isinstance(value, list)
        return value

    def _tag_entries(self, outlet: str) -> dict[str, tuple[str, list[Entry]]]:
        site = self._outlets[outlet].site

        def build() -> dict[str, tuple[str, list[Entry]]]:
            tags: dict[str, tuple[str, list[Entry]]] = {}
            for entry in self.corpus.entries(outlet):
                for tag in entry.tags:
                    path = urlsplit(site.tag_url(tag)).path
                    tags.setdefault(path, (tag, []))[1].append(entry)
            for event in site.events:
                path = urlsplit(event.url).path
                tags.setdefault(path, (event.title, []))
            return tags

        value = self._cached(("tags", outlet), build)
        assert isinstance(value, dict)
        return value

    # --- routing --------------------------------------------------------------------------

    def respond(self, outlet: str, path: str, query: str = "") -> Reply:
        """The answer of ``outlet`` to ``GET path?query``."""
        plan = self._outlets[outlet]
        site = plan.site
        if path == "/robots.txt":
            return self._robots(plan)
        if path in plan.old_paths:
            return self._redirect(plan.old_paths[path])
        if path == plan.external_path:
            return self._redirect(plan.specials["redirect_external_target"])
        if path == plan.soft404_path:
            body = not_found_page(site, plan.tools, canonical=site.absolute(path))
            return Reply(200, HTML, body.encode("utf-8"))
        if path == plan.flaky_path and self._fails(outlet, path):
            return Reply(500, HTML, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
        entry = self.corpus.lookup(outlet, path)
        if entry is not None:
            return Reply(
                200, HTML, self._article_bytes(entry), {"Last-Modified": _http_date(entry.lastmod)}
            )
        sitemap = self._sitemaps(outlet, plan, path)
        if sitemap is not None:
            return sitemap
        if path in {urlsplit(u).path for u in plan.profile.feeds}:
            return Reply(200, RSS, self._rss(outlet, plan).encode("utf-8"))
        if path == plan.video_path:
            title = f"Video {site.title} điểm tin cuối tuần"
            body = video_page(site, plan.tools, title=title, canonical=site.absolute(path))
            return Reply(200, HTML, body.encode("utf-8"))
        if path in ("/epaper/", "/bao-in/") and plan.specials["epaper"] == site.absolute(path):
            issues = [
                f"{d:%d-%m-%Y}" for d in (e.published for e in self.corpus.entries(outlet)[:5])
            ]
            body = epaper_page(site, plan.tools, canonical=site.absolute(path), issues=issues)
            return Reply(200, HTML, body.encode("utf-8"))
        if path == "/tim-kiem/":
            return self._search(outlet, plan, query)
        listing = self._listing(outlet, plan, path, query)
        if listing is not None:
            return listing
        return self.not_found(outlet, path)

    def not_found(self, outlet: str, path: str) -> Reply:
        """The outlet's 404 page."""
        plan = self._outlets[outlet]
        body = not_found_page(plan.site, plan.tools, canonical=plan.site.absolute(path))
        return Reply(404, HTML, body.encode("utf-8"))

    def _fails(self, outlet: str, path: str) -> bool:
        with self._lock:
            key = f"{outlet}{path}"
            count = self._fault_hits.get(key, 0) + 1
            self._fault_hits[key] = count
            return count == 1

    @staticmethod
    def _redirect(location: str) -> Reply:
        body = f'<html><body>Moved: <a href="{location}">{location}</a></body></html>'
        return Reply(301, HTML, body.encode("utf-8"), {"Location": location})

    def _article_bytes(self, entry: Entry) -> bytes:
        key = (entry.url, entry.lastmod.isoformat() + entry.title)
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = render_article(entry.source, SITES[entry.outlet], entry.options).encode("utf-8")
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > 256:
                self._pages.popitem(last=False)
        return page

    # --- robots, sitemaps, feeds ------------------------------------------------------------

    def _robots(self, plan: _Outlet) -> Reply:
        lines = [
            "User-agent: *",
            "Crawl-delay: 1",
            "Disallow: /tim-kiem/",
            "Disallow: /api/",
            "Allow: /",
            "",
        ]
        lines += [f"Sitemap: {url}" for url in self.sitemap_urls(plan.site.name)]
        return Reply(200, TEXT, ("\n".join(lines) + "\n").encode("utf-8"))

    @staticmethod
    def _has_news_sitemap(plan: _Outlet) -> bool:
        return plan.site.template in ("epi", "onecms")

    def _sitemaps(self, outlet: str, plan: _Outlet, path: str) -> Reply | None:
        site = plan.site
        index_paths = {urlsplit(u).path for u in plan.profile.sitemaps} or {"/sitemap.xml"}
        months = self._months(outlet)
        if path in index_paths:
            rows = []
            for (year, month), entries in sorted(months.items(), reverse=True):
                loc = site.absolute(_sitemap_month_path(site.template, year, month))
                lastmod = max(e.lastmod for e in entries).isoformat()
                rows.append(
                    f"<sitemap><loc>{_xml(loc)}</loc><lastmod>{lastmod}</lastmod></sitemap>"
                )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "\n".join(rows)
                + "\n</sitemapindex>\n"
            )
            return Reply(200, XML, body.encode("utf-8"))
        if path == "/sitemap-news.xml" and self._has_news_sitemap(plan):
            return Reply(200, XML, self._news_sitemap(outlet, plan).encode("utf-8"))
        for (year, month), entries in months.items():
            if path == _sitemap_month_path(site.template, year, month):
                rows = [
                    f"<url><loc>{_xml(e.url)}</loc><lastmod>{e.lastmod.isoformat()}</lastmod>"
                    "<changefreq>monthly</changefreq></url>"
                    for e in entries
                ]
                body = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                    + "\n".join(rows)
                    + "\n</urlset>\n"
                )
                return Reply(200, XML, body.encode("utf-8"))
        return None

    def _news_sitemap(self, outlet: str, plan: _Outlet) -> str:
        rows = []
        for e in self.corpus.entries(outlet)[:FEED_SIZE]:
            rows.append(
                f"<url><loc>{_xml(e.url)}</loc><news:news><news:publication>"
                f"<news:name>{_xml(plan.site.title)}</news:name><news:language>vi"
                "</news:language></news:publication>"
                f"<news:publication_date>{e.published.isoformat()}</news:publication_date>"
                f"<news:title>{_xml(e.title)}</news:title></news:news></url>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        )

    def _rss(self, outlet: str, plan: _Outlet) -> str:
        site = plan.site
        items = []
        entries = self.corpus.entries(outlet)[:FEED_SIZE]
        for e in entries:
            items.append(
                "<item>"
                f"<title>{_xml(e.title)}</title>"
                f"<link>{_xml(e.url)}</link>"
                f'<guid isPermaLink="true">{_xml(e.url)}</guid>'
                f"<description>{_xml(e.sapo or '')}</description>"
                f"<category>{_xml(e.category)}</category>"
                f"<pubDate>{format_datetime(e.published)}</pubDate>"
                "</item>"
            )
        build = format_datetime(max((e.lastmod for e in entries), default=self.corpus.now))
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f"<title>{_xml(site.title)}</title>\n"
            f"<link>{_xml(site.base_url)}/</link>\n"
            f"<description>{_xml(site.slogan)}</description>\n"
            "<language>vi</language>\n"
            f"<lastBuildDate>{build}</lastBuildDate>\n"
            + "\n".join(items)
            + "\n</channel>\n</rss>\n"
        )

    # --- listings ----------------------------------------------------------------------------

    def _items(self, entries: list[Entry], offset: int) -> list[ListItem]:
        items = []
        for i, e in enumerate(entries, start=offset):
            href = e.url
            if i % 5 == 3:
                href = f"{e.url}?{TRACKING_QUERIES[(i // 5) % len(TRACKING_QUERIES)]}"
            items.append(ListItem(e.title, href, e.published, e.sapo))
        return items

    def _specials_box(self, plan: _Outlet) -> list[ListItem]:
        site = plan.site
        items: list[ListItem] = []
        for path, url in plan.old_paths.items():
            entry = self.corpus.get(url)
            items.append(ListItem(entry.title if entry else url, site.absolute(path)))
        items += [
            ListItem("Dự án treo đã được gỡ bỏ", plan.specials["removed"]),
            ListItem("Bài viết đang chờ biên tập", plan.specials["soft404"]),
            ListItem("Tin đối tác đăng lại", plan.specials["redirect_external"]),
            ListItem("Video: điểm tin cuối tuần", plan.specials["video"]),
        ]
        return items

    def _most_read(self, outlet: str) -> list[ListItem]:
        entries = self.corpus.entries(outlet)
        picks = entries[3:40:7][:5]
        return [ListItem(e.title, e.url) for e in picks]

    def _listing(self, outlet: str, plan: _Outlet, path: str, query: str) -> Reply | None:
        site = plan.site
        base, page = _split_page(site.template, path, query)
        tag = None
        if base == "/":
            entries = self.corpus.entries(outlet)
            heading = site.title
            section = None
        elif base in plan.sections:
            section = plan.sections[base]
            entries = self._section_entries(outlet, section)
            heading = section.name
        else:
            tags = self._tag_entries(outlet)
            if base not in tags:
                return None
            tag, entries = tags[base]
            heading = tag
            section = None
        pages = max(1, -(-len(entries) // PER_PAGE))
        if page < 1 or page > pages:
            return None
        chunk = entries[(page - 1) * PER_PAGE : page * PER_PAGE]
        prev_url = site.absolute(_page_path(site.template, base, page - 1)) if page > 1 else None
        next_url = (
            site.absolute(_page_path(site.template, base, page + 1)) if page < pages else None
        )
        profile_listing = base in {urlsplit(u).path for u in plan.profile.listings}
        extra = self._specials_box(plan) if page == 1 and (base == "/" or profile_listing) else []
        tag_items = [ListItem(e.title, e.url) for e in site.events]
        body = listing_page(
            site,
            plan.tools,
            heading=heading,
            canonical=site.absolute(_page_path(site.template, base, page)),
            items=self._items(chunk, (page - 1) * PER_PAGE),
            page=page,
            prev_url=prev_url,
            next_url=next_url,
            extra=extra,
            most_read=self._most_read(outlet) if tag is None and section is None else [],
            tags=tag_items,
        )
        return Reply(200, HTML, body.encode("utf-8"))

    def _search(self, outlet: str, plan: _Outlet, query: str) -> Reply:
        words = " ".join(parse_qs(query).get("q", [""])).replace("+", " ").strip()
        results = [
            ListItem(e.title, e.url)
            for e in self.corpus.entries(outlet)
            if words and words.lower() in fast_slug(e.title).replace("-", " ")
        ][:20]
        body = search_page(
            plan.site,
            plan.tools,
            canonical=plan.site.absolute("/tim-kiem/"),
            query=words,
            results=results,
        )
        return Reply(200, HTML, body.encode("utf-8"))


def _http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


__all__ = ["PER_PAGE", "SPECIAL_KEYS", "TRACKING_QUERIES", "Reply", "SitePlan"]
