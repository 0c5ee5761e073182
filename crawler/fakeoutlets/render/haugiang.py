"""Báo Hậu Giang's own CMS (baohaugiang.com.vn).

Article markup: ``div.box-breadcrumb`` links; ``div.news-details-content`` holding the
``h1``, ``div.date`` ("Thứ Hai, ngày 06/12/2021 | 08:09"), ``div.sapo`` and the body
``div.contentView``, whose photos are either captioned tables
(``table.image`` → ``td.caption``, the older editor) or ``figure``/``figcaption`` and whose last
paragraph is the byline ("Bài, ảnh: TRƯỜNG SƠN"); after the body, still inside
``news-details-content``: ``div.box-tags``, the ``div.box-comment`` form ("Viết bình luận
mới") and the ``div.news-other`` "Xem thêm" list with times ("09:15 21/11/2024"). The right
column has the "THÔNG TIN CẦN BIẾT" weather box and "Điểm tin sáng" teasers.

Layouts:

* ``desktop``: the above.
* ``mobile``: no right column; ``div.detail-m`` holds ``h1.title-detail``, a ``span.date``
  ("08:09 06/12/2021") and the lead as ``h2.sapo-m`` (outside the template's sapo selector);
  the body ``div.contentView`` ends with the byline and a "Tin liên quan:" list.
* ``legacy``: captioned image tables, no JSON-LD, a visitor counter and "Go top" on the page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions
from crawler.fakeoutlets.render.common import (
    BodyWriter,
    HeadStyle,
    ad_positions,
    ad_slot,
    anchor,
    box,
    captured_at,
    comment_form,
    crumbs,
    dmy,
    document,
    esc,
    footer,
    head,
    link_box,
    logo,
    nav_menu,
    page_scripts,
    prepare,
    share_bar,
    weekday_vn,
)
from crawler.fakeoutlets.sites import Site, SiteLink

if TYPE_CHECKING:
    from crawler.fakeoutlets.source import ArticleSource, Block

HEAD_STYLE = HeadStyle(stylesheets=("/Content/css/style.css", "/Content/css/detail.css"))


class HauGiangBody(BodyWriter):
    """Hậu Giang body: captioned image tables (legacy) or figures."""

    def image(self, block: Block) -> str:
        """A captioned photo."""
        img = f'<img alt="" src="{esc(block.src)}" style="width: 700px;">'
        if self.options.image_style == "legacy":
            cap = f'<tr><td class="caption">{esc(block.caption)}</td></tr>' if block.caption else ""
            return (
                '<table class="image" align="center" border="0" cellpadding="0" cellspacing="0">'
                f"<tbody><tr><td>{img}</td></tr>{cap}</tbody></table>"
            )
        cap = (
            f'<figcaption class="image-caption">{esc(block.caption)}</figcaption>'
            if block.caption
            else ""
        )
        return f'<figure class="image">{img}{cap}</figure>'


def visible_date(source: ArticleSource) -> str:
    """ "Thứ Hai, ngày 06/12/2021 | 08:09"."""
    when = source.published
    return f"{weekday_vn(when)}, ngày {dmy(when)} | {when:%H:%M}"


def more_links(source: ArticleSource, options: PageOptions) -> list[SiteLink]:
    """The "Xem thêm" items: the record's related links, timed back from the capture date."""
    start = captured_at(source, options)
    return [
        SiteLink(link.title, link.url, link.teaser, start - timedelta(hours=7 * i + 3, minutes=i))
        for i, link in enumerate(source.related)
    ]


def details(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """``div.news-details-content``: headline, date, sapo, body and what follows."""
    writer = HauGiangBody(source, site, options)
    ads = {i: ad_slot(f"hg-inread-{i}", "adv") for i in ad_positions(source, options)}
    blocks = writer.blocks(ads)
    if source.byline:
        blocks.append(writer.byline(source.byline))
    tags = " ".join(anchor(site.tag_url(t), t) for t in source.tags)
    parts = [
        '<div class="news-details-content">',
        f'<h1 class="title-detail">{esc(source.title)}</h1>',
        f'<div class="date">{visible_date(source)}</div>',
        share_bar(source.canonical_url, source.title, "social-share"),
    ]
    if source.sapo:
        parts.append(f'<div class="sapo">{esc(source.lead)}</div>')
    parts += [
        '<div class="contentView">',
        *blocks,
        "</div>",
        f'<div class="box-tags"><span>Từ khóa:</span> {tags}</div>' if tags else "",
        comment_form("Viết bình luận mới", "box-comment", site.absolute("/binh-luan/gui")),
        link_box(
            "Xem thêm",
            more_links(source, options),
            "news-other",
            time_format="%H:%M %d/%m/%Y",
            teaser_class="sapo-other",
        ),
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def right_column(site: Site) -> str:
    """Weather box, "Điểm tin sáng" teasers, latest and most read."""
    weather = (
        '<div class="weather-box"><select name="province"><option>Vị Thanh</option>'
        "<option>Ngã Bảy</option><option>Long Mỹ</option></select>"
        f'<p class="weather-text">{esc(site.weather)}</p></div>'
    )
    parts = [
        '<div class="col-right">',
        box("THÔNG TIN CẦN BIẾT", weather, "box-info"),
        link_box(
            "Điểm tin",
            site.extras.get("digest", ()),
            "box-digest",
            time_format="%H:%M %d/%m/%Y",
            teaser_class="sapo",
        ),
        link_box("Tin mới nhất", site.latest, "box-latest", thumb=True),
        link_box("Đọc nhiều", site.most_read, "box-most-read"),
        ad_slot("hg-right", "adv adv-right"),
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def _mobile(source: ArticleSource, site: Site, options: PageOptions) -> str:
    writer = HauGiangBody(source, site, options)
    blocks = writer.blocks({i: ad_slot(f"m-{i}", "adv") for i in ad_positions(source, options)})
    if source.byline:
        blocks.append(writer.byline(source.byline))
    if source.related:
        items = "".join(f"<li>{anchor(r.url, r.title)}</li>" for r in source.related)
        blocks.append(f"<p><strong>Tin liên quan:</strong></p><ul>{items}</ul>")
    when = source.published
    body = "\n".join(
        [
            logo(site, "logo-m"),
            '<div class="detail-m">',
            f'<h1 class="title-detail">{esc(source.title)}</h1>',
            f'<span class="date">{when:%H:%M} {dmy(when)}</span>',
            f'<h2 class="sapo-m">{esc(source.lead)}</h2>' if source.sapo else "",
            '<div class="contentView">\n' + "\n".join(blocks) + "\n</div>",
            link_box(
                "Xem thêm",
                more_links(source, options),
                "news-other",
                time_format="%H:%M %d/%m/%Y",
            ),
            "</div>",
            footer(site, "footer"),
        ]
    )
    return document(head(source, site, options, HEAD_STYLE), body, "page-detail mobile")


def render_article(
    source: ArticleSource, site: Site, options: PageOptions = DEFAULT_OPTIONS
) -> str:
    """The full HTML page of one article on baohaugiang.com.vn, in the options' layout."""
    page = prepare(source, options)
    if options.layout == "mobile":
        return _mobile(page, site, options)
    if options.layout == "legacy":
        page = replace(page, jsonld=False)
        options = replace(options, image_style="legacy")
    today = captured_at(page, options)
    trail = " » ".join(
        anchor(site.section_url(sec), sec.name) for sec in crumbs(site, page.category)
    )
    body = "\n".join(
        [
            '<div id="wrapper">',
            '<div class="header">',
            f'<div class="top-bar"><span class="date-now">{weekday_vn(today)}, ngày {dmy(today)}'
            '</span> <a href="/rss.html">RSS</a></div>',
            logo(site, "logo"),
            ad_slot("hg-top-banner", "adv adv-top"),
            '<div class="menu-top">',
            nav_menu(site, "menu", "menu-item"),
            "</div>",
            "</div>",
            '<div class="box-breadcrumb">'
            f'<a href="{esc(site.base_url)}/">Trang chủ</a> » {trail}</div>',
            '<div class="main-content row">',
            '<div class="col-left">',
            details(page, site, options),
            "</div>",
            right_column(site),
            "</div>",
            footer(site, "footer"),
            '<div class="counter">Thống kê truy cập: <span>1.234.567</span></div>'
            if options.layout == "legacy"
            else "",
            "</div>",
            page_scripts(site, ("/Scripts/jquery-3.4.1.min.js", "/Scripts/site.js")),
        ]
    )
    return document(head(page, site, options, HEAD_STYLE), body, "page-detail")
