"""Page chrome and body-writing helpers shared by every template renderer.

Template modules compose these pieces with their own class names: the ``<head>`` (meta tags,
canonical link, JSON-LD), menus, link lists, sidebars, share bars, comment forms, ad slots,
footers, and :class:`BodyWriter`, which turns record blocks into body HTML and which each
template subclasses to print images, subheadings and bylines its own way. Every piece of
text goes through :func:`esc`; nothing here knows about a particular outlet.
"""

from __future__ import annotations

import html
import json
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from crawler.fakeoutlets.options import PageOptions
    from crawler.fakeoutlets.sites import Section, Site, SiteLink
    from crawler.fakeoutlets.source import ArticleSource, Block, RelatedLink

VN_WEEKDAYS: tuple[str, ...] = (
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ Nhật",
)
"""Vietnamese weekday names, Monday first (``datetime.weekday()`` order)."""


def esc(text: str) -> str:
    """HTML-escape text for element content and attribute values."""
    return html.escape(text, quote=True)


def weekday_vn(when: datetime) -> str:
    """The Vietnamese weekday name of a date ("Thứ Hai" … "Chủ Nhật")."""
    return VN_WEEKDAYS[when.weekday()]


def dmy(when: datetime) -> str:
    """``DD/MM/YYYY``."""
    return when.strftime("%d/%m/%Y")


def dmy_hm(when: datetime, sep: str = " ") -> str:
    """``DD/MM/YYYY<sep>HH:MM``, e.g. "20/05/2024 10:15" or with ``sep=" - "``."""
    return f"{dmy(when)}{sep}{when:%H:%M}"


def captured_at(source: ArticleSource, options: PageOptions) -> datetime:
    """When the page was captured: the option, or a day after publication."""
    if options.captured_at:
        return datetime.fromisoformat(options.captured_at)
    return source.published + timedelta(days=1, hours=2)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _decompose_block(block: Block) -> Block:
    return replace(
        block,
        text=_nfd(block.text),
        caption=_nfd(block.caption) if block.caption else block.caption,
        rows=tuple(tuple(_nfd(c) for c in row) for row in block.rows),
        items=tuple(_nfd(i) for i in block.items),
    )


def prepare(source: ArticleSource, options: PageOptions) -> ArticleSource:
    """The record as the page stores it: headline or blocks decomposed when asked (NFD)."""
    title = _nfd(source.title) if options.nfd_title else source.title
    blocks = tuple(
        _decompose_block(b) if i in options.nfd_blocks else b for i, b in enumerate(source.blocks)
    )
    return replace(source, title=title, blocks=blocks)


def description(source: ArticleSource, options: PageOptions) -> str:
    """The ``og:description`` text: the option, else the lead as printed, else the title."""
    return options.og_description or source.lead or source.title


def lead_image(source: ArticleSource, site: Site) -> str:
    """The page's share image: the first body image, else the site logo."""
    images = source.images()
    return images[0].src if images else site.absolute("/static/images/logo-share.jpg")


# --------------------------------------------------------------------------- head


@dataclass(frozen=True)
class HeadStyle:
    """How a template prints the ``<head>``."""

    stylesheets: tuple[str, ...]
    """Site paths of the template's CSS files."""
    published_meta: Literal["iso", "none"] = "iso"
    """``article:published_time``: ISO timestamp with offset, or left out."""
    jsonld_date_only: bool = False
    """JSON-LD ``datePublished``/``dateModified`` as bare dates ("2026-01-08")."""
    base_href: bool = False
    """Print ``<base href>`` (pages whose links and images are relative)."""
    generator: str | None = None
    """``<meta name="generator">`` content."""


def news_article_jsonld(
    source: ArticleSource, site: Site, options: PageOptions, date_only: bool = False
) -> dict[str, Any]:
    """The schema.org ``NewsArticle`` object describing the article."""

    def stamp(when: datetime) -> str:
        return when.date().isoformat() if date_only else when.isoformat()

    authors: list[dict[str, str]] = [{"@type": "Person", "name": a} for a in source.authors]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": source.canonical_url},
        "headline": source.title,
        "description": description(source, options),
        "image": {"@type": "ImageObject", "url": lead_image(source, site)},
        "datePublished": stamp(source.published),
    }
    if source.modified is not None:
        data["dateModified"] = stamp(source.modified)
    data["author"] = authors or {"@type": "Organization", "name": site.title}
    data["publisher"] = {
        "@type": "Organization",
        "name": site.title,
        "logo": {"@type": "ImageObject", "url": site.absolute("/static/images/logo.png")},
    }
    data["keywords"] = ", ".join(source.tags)
    data["articleSection"] = source.category
    data["inLanguage"] = "vi"
    return data


def jsonld_script(data: Mapping[str, Any]) -> str:
    """A JSON-LD ``<script>`` element (``</`` escaped so it cannot close the script)."""
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def head(source: ArticleSource, site: Site, options: PageOptions, style: HeadStyle) -> str:
    """The full ``<head>`` of an article page."""
    desc = description(source, options)
    image = lead_image(source, site)
    lines = [
        '<meta charset="utf-8">',
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ]
    if style.base_href:
        lines.append(f'<base href="{esc(site.base_url)}/">')
    lines += [
        f"<title>{esc(source.title)} - {esc(site.title)}</title>",
        f'<meta name="description" content="{esc(desc)}">',
        f'<meta name="keywords" content="{esc(", ".join(source.tags))}">',
        '<meta name="robots" content="index, follow, max-image-preview:large">',
    ]
    if style.generator:
        lines.append(f'<meta name="generator" content="{esc(style.generator)}">')
    lines += [
        f'<link rel="canonical" href="{esc(source.canonical_url)}">',
        f'<link rel="alternate" type="application/rss+xml" title="{esc(site.title)}" '
        f'href="{esc(site.absolute("/rss/home.rss"))}">',
        f'<link rel="shortcut icon" href="{esc(site.absolute("/favicon.ico"))}">',
        '<meta property="og:locale" content="vi_VN">',
        f'<meta property="og:site_name" content="{esc(site.title)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{esc(source.title)}">',
        f'<meta property="og:description" content="{esc(desc)}">',
        f'<meta property="og:image" content="{esc(image)}">',
        f'<meta property="og:url" content="{esc(source.canonical_url)}">',
    ]
    if style.published_meta == "iso":
        lines.append(
            f'<meta property="article:published_time" content="{source.published.isoformat()}">'
        )
        if source.modified is not None:
            lines.append(
                f'<meta property="article:modified_time" content="{source.modified.isoformat()}">'
            )
    lines.append(f'<meta property="article:section" content="{esc(source.category)}">')
    lines.extend(f'<meta property="article:tag" content="{esc(t)}">' for t in source.tags)
    lines += [
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="twitter:title" content="{esc(source.title)}">',
        f'<meta name="twitter:image" content="{esc(image)}">',
    ]
    lines.extend(f'<link rel="stylesheet" href="{esc(href)}">' for href in style.stylesheets)
    if source.jsonld:
        data = news_article_jsonld(source, site, options, style.jsonld_date_only)
        lines.append(jsonld_script(data))
    lines.append(analytics_snippet(site))
    return "<head>\n" + "\n".join(lines) + "\n</head>"


def analytics_snippet(site: Site) -> str:
    """The Google Analytics loader every paper pastes into its head."""
    tag = f"G-{abs(hash_text(site.domain)) % 10**10:010d}"
    return (
        f'<script async src="https://www.googletagmanager.com/gtag/js?id={tag}"></script>\n'
        "<script>window.dataLayer = window.dataLayer || [];"
        "function gtag(){dataLayer.push(arguments);}"
        f"gtag('js', new Date()); gtag('config', '{tag}');</script>"
    )


def hash_text(text: str) -> int:
    """A small deterministic hash (``hash()`` is salted per process)."""
    value = 0
    for ch in text:
        value = (value * 131 + ord(ch)) % 2**31
    return value


def document(head_html: str, body_html: str, body_class: str) -> str:
    """A complete HTML document."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi">\n'
        f"{head_html}\n"
        f'<body class="{esc(body_class)}">\n'
        f"{body_html}\n"
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- chrome


def anchor(url: str, text: str, cls: str = "", title: bool = False) -> str:
    """An ``<a>`` element; ``title=True`` repeats the text in the title attribute."""
    attrs = f' class="{esc(cls)}"' if cls else ""
    if title:
        attrs += f' title="{esc(text)}"'
    return f'<a href="{esc(url)}"{attrs}>{esc(text)}</a>'


def nav_menu(
    site: Site,
    ul_class: str,
    li_class: str = "",
    home: str = "Trang chủ",
    href: Any = None,
) -> str:
    """The top menu: home plus every top-level section.

    ``href`` maps a section to the URL printed (default: the absolute section URL).
    """
    to_url = href or site.section_url
    li = f' class="{esc(li_class)}"' if li_class else ""
    items = [f'<li{li}><a href="{esc(site.base_url)}/">{esc(home)}</a></li>']
    items += [f"<li{li}>{anchor(to_url(sec), sec.name)}</li>" for sec in site.menu]
    return f'<ul class="{esc(ul_class)}">\n' + "\n".join(items) + "\n</ul>"


def crumbs(site: Site, category: str) -> list[Section]:
    """The breadcrumb sections of a category (top level first)."""
    return site.breadcrumb(category)


def link_items(
    links: Iterable[SiteLink | RelatedLink],
    item_class: str = "item",
    *,
    time_format: str | None = None,
    thumb: bool = False,
    teaser_class: str | None = None,
    href: Any = None,
) -> str:
    """``<li>`` items for a list of links, with optional time, thumbnail and teaser."""
    out: list[str] = []
    for link in links:
        url = href(link.url) if href else link.url
        parts: list[str] = []
        if thumb:
            parts.append(
                f'<a class="thumb" href="{esc(url)}" title="{esc(link.title)}">'
                f'<img src="{esc(thumb_src(link.url))}" alt="{esc(link.title)}" '
                'loading="lazy"></a>'
            )
        parts.append(f'<h3 class="title">{anchor(url, link.title)}</h3>')
        when = getattr(link, "time", None)
        if time_format and when is not None:
            parts.append(f'<span class="time">{when.strftime(time_format)}</span>')
        if teaser_class and link.teaser:
            parts.append(f'<p class="{esc(teaser_class)}">{esc(link.teaser)}</p>')
        out.append(f'<li class="{esc(item_class)}">' + "".join(parts) + "</li>")
    return "\n".join(out)


def thumb_src(url: str) -> str:
    """A plausible thumbnail URL for an article URL (same host, hashed file name)."""
    host = url.split("/")[2] if "://" in url else ""
    return f"https://{host}/thumbs/{hash_text(url):010d}.jpg"


def box(heading: str, inner: str, cls: str, heading_tag: str = "h3") -> str:
    """A titled box (sidebar widget, related list)."""
    return (
        f'<div class="{esc(cls)}">\n'
        f'<{heading_tag} class="box-title">{esc(heading)}</{heading_tag}>\n'
        f"{inner}\n</div>"
    )


def link_box(
    heading: str,
    links: Sequence[SiteLink | RelatedLink],
    cls: str,
    *,
    heading_tag: str = "h3",
    **item_options: Any,
) -> str:
    """A titled box listing links (``item_options`` go to :func:`link_items`)."""
    if not links:
        return ""
    inner = '<ul class="list">\n' + link_items(links, **item_options) + "\n</ul>"
    return box(heading, inner, cls, heading_tag)


def sidebar(site: Site, cls: str = "sidebar", *, time_format: str | None = None) -> str:
    """The usual right column: "Tin mới", "Đọc nhiều" and "Sự kiện nổi bật"."""
    parts = [
        link_box("Tin mới", site.latest, "box box-latest", time_format=time_format),
        link_box("Đọc nhiều", site.most_read, "box box-most-read", thumb=True),
        link_box("Sự kiện nổi bật", site.events, "box box-events"),
        ad_slot("sidebar-300x600", "ads ads-sidebar"),
    ]
    return f'<aside class="{esc(cls)}">\n' + "\n".join(p for p in parts if p) + "\n</aside>"


def share_bar(url: str, title: str, cls: str) -> str:
    """Share buttons (Facebook, Zalo, X, copy, print)."""
    quoted = esc(quote(url, safe=""))
    text = esc(quote(title, safe=""))
    return (
        f'<div class="{esc(cls)}">\n'
        f'<a class="share-facebook" rel="nofollow" target="_blank" '
        f'href="https://www.facebook.com/sharer/sharer.php?u={quoted}">Facebook</a>\n'
        f'<a class="share-zalo zalo-share-button" data-href="{esc(url)}" '
        'data-oaid="579745863508352884" data-layout="2" data-customize="true" '
        'href="javascript:void(0)">Zalo</a>\n'
        f'<a class="share-twitter" rel="nofollow" target="_blank" '
        f'href="https://twitter.com/intent/tweet?url={quoted}&amp;text={text}">X</a>\n'
        '<button class="share-copy" type="button" data-clipboard-text="'
        f'{esc(url)}">Sao chép liên kết</button>\n'
        '<a class="share-print" href="javascript:window.print()">In bài viết</a>\n'
        "</div>"
    )


def comment_form(heading: str, cls: str, action: str) -> str:
    """The reader comment box every paper prints under its articles."""
    return (
        f'<div class="{esc(cls)}">\n'
        f'<h3 class="box-title">{esc(heading)}</h3>\n'
        f'<form method="post" action="{esc(action)}">\n'
        '<textarea name="content" rows="4" placeholder="Nội dung bình luận"></textarea>\n'
        '<input type="text" name="name" placeholder="Họ và tên">\n'
        '<input type="email" name="email" placeholder="Email">\n'
        '<button type="submit">Gửi bình luận</button>\n'
        "</form>\n"
        '<p class="note">Bình luận của bạn sẽ được biên tập trước khi đăng.</p>\n'
        "</div>"
    )


def ad_slot(slot: str, cls: str = "ads", element_id: str | None = None) -> str:
    """An advertisement slot with an AdSense unit."""
    ident = f' id="{esc(element_id)}"' if element_id else ""
    return (
        f'<div class="{esc(cls)}"{ident}>'
        '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-4031268744561190" '
        f'data-ad-slot="{esc(slot)}" data-ad-format="auto"></ins>'
        "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>"
        "</div>"
    )


def imprint_lines(site: Site) -> list[str]:
    """The footer imprint as paragraphs."""
    imp = site.imprint
    return [
        f'<p class="publisher"><strong>{esc(imp.publisher)}</strong></p>',
        f"<p>{esc(imp.license)}</p>",
        f"<p>{esc(imp.editor)}</p>",
        f"<p>Địa chỉ: {esc(imp.address)}</p>",
        f'<p>{esc(imp.phone)} - Email: <a href="mailto:{esc(imp.email)}">{esc(imp.email)}</a></p>',
        f"<p>© Bản quyền thuộc về {esc(site.title)}. Ghi rõ nguồn "
        f"&quot;{esc(site.title)}&quot; khi phát hành lại thông tin từ website này.</p>",
    ]


def footer(site: Site, cls: str, *, menu_class: str = "footer-menu", go_top: bool = True) -> str:
    """The page footer: section menu, imprint and a "Go top" link."""
    parts = [
        f'<footer class="{esc(cls)}">',
        nav_menu(site, menu_class),
        '<div class="footer-info">',
        *imprint_lines(site),
        "</div>",
    ]
    if go_top:
        parts.append('<a href="#" id="back-to-top" class="go-top" title="Lên đầu trang">Go top</a>')
    parts.append("</footer>")
    return "\n".join(parts)


def page_scripts(site: Site, names: Iterable[str]) -> str:
    """Site script tags plus the Zalo and Facebook SDK loaders."""
    tags = [f'<script src="{esc(site.absolute(n))}"></script>' for n in names]
    tags.append('<script src="https://sp.zalo.me/plugins/sdk.js" async></script>')
    tags.append(
        '<div id="fb-root"></div><script async defer crossorigin="anonymous" '
        'src="https://connect.facebook.net/vi_VN/sdk.js#xfbml=1&amp;version=v18.0"></script>'
    )
    return "\n".join(tags)


def date_strip(when: datetime, weather: str, cls: str) -> str:
    """The header strip with today's date and a weather line."""
    return (
        f'<div class="{esc(cls)}"><span class="today">{weekday_vn(when)}, {dmy(when)}</span>'
        f'<span class="weather">{esc(weather)}</span></div>'
    )


def logo(site: Site, cls: str, src: str | None = None) -> str:
    """The paper's logo link (never a heading, so the headline stays the page's only h1)."""
    img = src or site.absolute("/static/images/logo.png")
    return (
        f'<a class="{esc(cls)}" href="{esc(site.base_url)}/" title="{esc(site.title)}">'
        f'<img src="{esc(img)}" alt="{esc(site.title)}"></a>'
    )


# --------------------------------------------------------------------------- body


def table_html(block: Block, cls: str = "") -> str:
    """A data table: first row bold as the header."""
    attr = f' class="{esc(cls)}"' if cls else ""
    rows: list[str] = []
    for i, row in enumerate(block.rows):
        if i == 0:
            cells = "".join(f"<td><strong>{esc(c)}</strong></td>" for c in row)
        else:
            cells = "".join(f"<td>{esc(c)}</td>" for c in row)
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table{attr} border="1" cellpadding="4" cellspacing="0" style="width:100%">'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


class BodyWriter:
    """Turns record blocks into body HTML; templates override the parts they print differently.

    ``inserts`` maps a block index to HTML printed right after that block (ads, inline
    related boxes); ``spacers`` adds the empty paragraphs old WordPress posts are full of.
    """

    paragraph_style = ' style="text-align: justify;"'

    def __init__(self, source: ArticleSource, site: Site, options: PageOptions) -> None:
        self.source = source
        self.site = site
        self.options = options

    def paragraph(self, text: str) -> str:
        """One text paragraph."""
        return f"<p{self.paragraph_style}>{esc(text)}</p>"

    def lead(self, dateline: str | None, sapo: str) -> str:
        """The lead printed as the body's first paragraph (tagDiv, Cần Thơ)."""
        return self.paragraph(f"{dateline or ''}{sapo}")

    def heading(self, block: Block) -> str:
        """A subheading (``h2``/``h3``), or a bold paragraph when the page does that."""
        if self.options.headings_as_bold:
            return f"<p><strong>{esc(block.text)}</strong></p>"
        return f"<{block.type}>{esc(block.text)}</{block.type}>"

    def image(self, block: Block) -> str:
        """A photo with its caption."""
        cap = f"<figcaption>{esc(block.caption)}</figcaption>" if block.caption else ""
        return f'<figure><img src="{esc(block.src)}" alt="">{cap}</figure>'

    def table(self, block: Block) -> str:
        """A data table."""
        return table_html(block)

    def bullets(self, block: Block) -> str:
        """A bulleted list."""
        items = "".join(f"<li>{esc(i)}</li>" for i in block.items)
        return f"<ul>{items}</ul>"

    def quote(self, block: Block) -> str:
        """A pull quote."""
        return f"<blockquote><p>{esc(block.text)}</p></blockquote>"

    def byline(self, text: str) -> str:
        """The author credit printed as the body's last paragraph."""
        return f'<p style="text-align: right;"><strong>{esc(text)}</strong></p>'

    def block(self, block: Block) -> str:
        """Any block."""
        if block.type == "p":
            return self.paragraph(block.text)
        if block.type in ("h2", "h3"):
            return self.heading(block)
        if block.type == "image":
            return self.image(block)
        if block.type == "table":
            return self.table(block)
        if block.type == "ul":
            return self.bullets(block)
        return self.quote(block)

    def blocks(self, inserts: Mapping[int, str] | None = None) -> list[str]:
        """HTML of every block, with ``inserts`` after the blocks they name."""
        out: list[str] = []
        extra = inserts or {}
        for i, block in enumerate(self.source.blocks):
            out.append(self.block(block))
            if i in extra:
                out.append(extra[i])
            if self.options.spacers:
                out.append("<p>&nbsp;</p>")
        return out


def ad_positions(source: ArticleSource, options: PageOptions) -> tuple[int, ...]:
    """Block indexes after which body ads go: after the 2nd paragraph and mid-article."""
    if not options.ads:
        return ()
    paragraphs = [i for i, b in enumerate(source.blocks) if b.type == "p"]
    if len(paragraphs) < 4:
        return ()
    first = paragraphs[1]
    middle = paragraphs[len(paragraphs) // 2 + 1] if len(paragraphs) > 6 else None
    return tuple(p for p in (first, middle) if p is not None and p < len(source.blocks) - 1)


def merge_inserts(*maps: Mapping[int, str]) -> dict[int, str]:
    """Merge insert maps; HTML for the same index is concatenated in argument order."""
    merged: dict[int, str] = {}
    for mapping in maps:
        for index, snippet in mapping.items():
            merged[index] = merged[index] + "\n" + snippet if index in merged else snippet
    return merged


def inline_related(source: ArticleSource, options: PageOptions) -> list[RelatedLink]:
    """The related links an inline box inside the body shows (empty if none asked)."""
    if options.inline_related_after is None:
        return []
    return list(source.related[: options.inline_related_count])
