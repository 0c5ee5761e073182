"""Báo Cần Thơ's CMS (baocantho.com.vn).

The page sets ``<base href="https://baocantho.com.vn/">`` and prints every same-site link and
image relative to it (``image/news/2026/20260108/…jpg``). Article markup: ``div.titlecate``
section links; ``#newscontents h1``; ``span.pubdate`` ("08/01/2026 - 18:21"); the body
``#newscontents div.content-fck`` whose first paragraph is the lead ("(CTO) - …") and last
paragraph the credit ("Tin, ảnh: …"); photos are centred paragraphs holding the image,
followed by a centred paragraph with the caption in ``<em>``; ``div.block_tag a.tag_item``
tags; "Đọc thêm" in ``div.detail-related`` (after the body, or inside it on some pages). The
JSON-LD ``datePublished`` is a bare date.

Layouts:

* ``desktop``: the above.
* ``mobile`` (the page as a scraper saved it in 2026): the section trail is an ``h1`` in
  ``div.titlecate`` ("THỜI SỰ > Cần Thơ"), the date ``span.pubdate`` stands before the headline
  ``h1``, both outside ``#newscontents``; JSON-LD names the article in ``name`` (no
  ``headline``).
* ``legacy``: subheadings as bold paragraphs, "Đọc thêm" inside the body, no JSON-LD.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions
from crawler.fakeoutlets.render.common import (
    BodyWriter,
    HeadStyle,
    ad_positions,
    ad_slot,
    anchor,
    captured_at,
    comment_form,
    crumbs,
    date_strip,
    dmy_hm,
    document,
    esc,
    footer,
    head,
    jsonld_script,
    link_box,
    link_items,
    logo,
    nav_menu,
    page_scripts,
    prepare,
    share_bar,
)

if TYPE_CHECKING:
    from crawler.fakeoutlets.sites import Section, Site
    from crawler.fakeoutlets.source import ArticleSource, Block

HEAD_STYLE = HeadStyle(
    stylesheets=("/css/style.css?v=2.3", "/css/detail.css?v=2.3"),
    published_meta="none",
    jsonld_date_only=True,
    base_href=True,
)

CENTER = ' style="text-align: center;"'


class CanThoBody(BodyWriter):
    """Cần Thơ body: relative image paths, captions as centred ``<em>`` paragraphs."""

    def lead(self, dateline: str | None, sapo: str) -> str:
        """The lead paragraph, its dateline marker in bold."""
        if not dateline:
            return f"<p>{esc(sapo)}</p>"
        marker = dateline.rstrip(" -–—")
        rest = dateline[len(marker) :]
        return f"<p><strong>{esc(marker)}</strong>{esc(rest)}{esc(sapo)}</p>"

    def image(self, block: Block) -> str:
        """The photo paragraph and, when captioned, the caption paragraph."""
        src = self.site.relative(block.src)
        out = f'<p{CENTER}><img alt="" src="{esc(src)}" style="width: 700px;"></p>'
        if block.caption:
            out += f"\n<p{CENTER}><em>{esc(block.caption)}</em></p>"
        return out


def related(source: ArticleSource, site: Site) -> str:
    """The "Đọc thêm" list (titles only, relative links)."""
    if not source.related:
        return ""
    items = link_items(source.related, "related-item", href=site.relative)
    return (
        '<div class="detail-related">\n<div class="title-related">Đọc thêm</div>\n'
        f"<ul>\n{items}\n</ul>\n</div>"
    )


def content(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """``div.content-fck``: lead, blocks, credit (and "Đọc thêm" when it sits inside)."""
    writer = CanThoBody(source, site, options)
    ads = {i: ad_slot(f"cto-inread-{i}", "adv-inread") for i in ad_positions(source, options)}
    parts: list[str] = []
    if source.sapo:
        parts.append(writer.lead(source.dateline, source.sapo))
    parts += writer.blocks(ads)
    if source.byline:
        parts.append(writer.byline(source.byline))
    if options.related_in_body:
        parts.append(related(source, site))
    return '<div class="content-fck">\n' + "\n".join(parts) + "\n</div>"


def _mobile(source: ArticleSource, site: Site, options: PageOptions) -> str:
    def section_href(sec: Section) -> str:
        return site.relative(site.section_url(sec))

    trail = crumbs(site, source.category)
    top, *rest = trail
    sub_trail = "".join(
        f' <span class="fw400"> &gt; {anchor(section_href(s), s.name)}</span>' for s in rest
    )
    tags = " ".join(anchor(site.relative(site.tag_url(t)), t, "tag_item") for t in source.tags)
    jsonld = {
        "@context": "https://schema.org/",
        "@type": "NewsArticle",
        "name": source.title,
        "datePublished": source.published.date().isoformat(),
        "description": f"{source.dateline or ''}{source.sapo or ''}",
    }
    body = "\n".join(
        [
            '<div id="content"><div id="colcate1">',
            f'<div class="titlecate"><h1>{anchor(section_href(top), top.name.upper())}'
            f"{sub_trail}</h1></div>",
            '<div class="sharemxh"><span class="pubdate">'
            f"{dmy_hm(source.published, ' - ')}</span></div>",
            f'<h1 class="margintopbot10 fw700">{esc(source.title)}&nbsp;'
            '<span class="sprite icophoto"></span></h1>',
            '<div id="newscontents">',
            content(source, site, options),
            "</div>",
            f'<div class="block_tag"><div class="txt_tag">Từ khóa</div> {tags}</div>'
            if tags
            else "",
            related(source, site),
            "</div></div>",
            footer(site, "footer"),
        ]
    )
    head_html = head(replace(source, jsonld=False), site, options, HEAD_STYLE)
    head_html = head_html.replace("</head>", jsonld_script(jsonld) + "\n</head>")
    return document(head_html, body, "detail")


def render_article(
    source: ArticleSource, site: Site, options: PageOptions = DEFAULT_OPTIONS
) -> str:
    """The full HTML page of one article on baocantho.com.vn, in the options' layout."""
    page = prepare(source, options)
    if options.layout == "mobile":
        return _mobile(page, site, options)
    if options.layout == "legacy":
        page = replace(page, jsonld=False)
        options = replace(options, headings_as_bold=True, related_in_body=True)

    def section_href(sec: Section) -> str:
        return site.relative(site.section_url(sec))

    trail = " <span>›</span> ".join(
        anchor(section_href(sec), sec.name) for sec in crumbs(site, page.category)
    )
    tags = " ".join(anchor(site.relative(site.tag_url(t)), t, "tag_item") for t in page.tags)
    body = "\n".join(
        [
            '<div id="header">',
            date_strip(captured_at(page, options), site.weather, "header-date"),
            logo(site, "logo", "images/logo.png"),
            '<div id="menu">',
            nav_menu(site, "menu", href=section_href),
            "</div>",
            "</div>",
            '<div id="main">',
            '<div class="col-main">',
            f'<div class="titlecate">{trail}</div>',
            '<div id="newscontents">',
            f'<h1 class="title-news">{esc(page.title)}</h1>',
            f'<div class="date-tool"><span class="pubdate">{dmy_hm(page.published, " - ")}</span>',
            share_bar(page.canonical_url, page.title, "social-share"),
            "</div>",
            content(page, site, options),
            f'<div class="block_tag"><span>Từ khóa:</span> {tags}</div>' if tags else "",
            "" if options.related_in_body else related(page, site),
            comment_form("Ý kiến bạn đọc", "box-comment", "binh-luan/gui.html"),
            "</div>",
            "</div>",
            '<div class="col-right">',
            link_box("Tin mới", site.latest, "box-news-new", href=site.relative),
            link_box("Xem nhiều", site.most_read, "box-most-view", href=site.relative),
            link_box("Sự kiện nổi bật", site.events, "box-event", href=site.relative),
            ad_slot("cto-right", "adv-right"),
            "</div>",
            "</div>",
            footer(site, "footer"),
            page_scripts(site, ("js/jquery.min.js", "js/common.js")),
        ]
    )
    return document(head(page, site, options, HEAD_STYLE), body, "detail")
