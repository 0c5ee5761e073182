"""OneCMS (baonghean.vn, baodanang.vn, baohaiphong.vn).

Article markup: a ``div.sc-longform-header`` with ``h1.sc-longform-header-title``,
``span.sc-longform-header-author``, ``span.sc-longform-header-date`` ("02/07/2020 10:15" or
"Thứ Năm, 02/07/2020 - 10:15") and ``div.sc-longform-header-sapo`` (dateline + lead); the body
``article.entry`` with ``figure.image`` photos (``figcaption``, captions often ending
"Ảnh: …"), ``div.adv`` ads, optional inline ``div.sc-related-articles`` boxes and the byline
as its last, right-aligned bold paragraph; then ``div.sc-tags`` and the "Tin liên quan",
"Tin cùng chuyên mục", "Tin mới" lists. Breadcrumb: ``ul.breadcrumb``.

Layouts:

* ``desktop``: the above.
* ``mobile``: the body is ``div.detail-content``; ``h1.title``, ``h2.sapo`` with the
  dateline; the date only as text in ``span.time`` under the headline (no selector of the
  template, no JSON-LD); the byline as the body's last paragraph; an inline "Tin liên quan"
  box ``div.box-relate`` and ``div.qc-inread`` ads inside the body.
* ``legacy`` (the ``-post<id>`` era): the body is ``div.entry`` with paragraphs as bare
  ``<div>``s; ``h1``; a ``p.date`` line "Thứ Năm, 02/07/2020 - 10:15"; ``p.author`` above the
  body; related links as a trailing "Xem thêm:" paragraph inside the body.
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
    inline_related,
    link_box,
    link_items,
    logo,
    merge_inserts,
    nav_menu,
    page_scripts,
    prepare,
    share_bar,
    weekday_vn,
)

if TYPE_CHECKING:
    from crawler.fakeoutlets.sites import Site
    from crawler.fakeoutlets.source import ArticleSource, Block, RelatedLink

HEAD_STYLE = HeadStyle(
    stylesheets=("/assets/web/styles/css/main.min.css", "/assets/web/styles/css/detail.css"),
    generator="OneCMS",
)
MOBILE_HEAD = HeadStyle(stylesheets=("/assets/mobile/main.css",), published_meta="none")


class OneCmsBody(BodyWriter):
    """OneCMS body: centred ``figure.image`` photos with a plain ``figcaption``."""

    def image(self, block: Block) -> str:
        """A centred photo; the caption carries its own "Ảnh: …" credit when there is one."""
        cap = f"<figcaption>{esc(block.caption)}</figcaption>" if block.caption else ""
        return (
            f'<figure class="image align-center"><img src="{esc(block.src)}" '
            f'alt="{esc(block.caption or self.source.title)}" width="800">{cap}</figure>'
        )


def inline_box(links: list[RelatedLink]) -> str:
    """The related-articles box OneCMS editors place inside the body."""
    items = link_items(links, "sc-related-item", teaser_class="sc-related-sapo")
    return f'<div class="sc-related-articles">\n<ul>\n{items}\n</ul>\n</div>'


def visible_date(source: ArticleSource, options: PageOptions) -> str:
    """The header date: "02/07/2020 10:15" or "Thứ Năm, 02/07/2020 - 10:15"."""
    when = source.published
    if options.weekday:
        return f"{weekday_vn(when)}, {dmy_hm(when, ' - ')}"
    return dmy_hm(when)


def longform_header(source: ArticleSource, options: PageOptions) -> str:
    """Headline, author, date and sapo."""
    author = " - ".join(source.authors)
    parts = [
        '<div class="sc-longform-header">',
        f'<h1 class="sc-longform-header-title block-sc-title">{esc(source.title)}</h1>',
        '<div class="sc-longform-header-meta">',
    ]
    if author:
        parts.append(f'<span class="sc-longform-header-author">{esc(author)}</span>')
    parts.append(f'<span class="sc-longform-header-date">{visible_date(source, options)}</span>')
    parts.append("</div>")
    if source.sapo:
        parts.append(f'<div class="sc-longform-header-sapo">{esc(source.lead)}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def entry(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """The ``article.entry`` body with ads, inline related box and byline."""
    writer = OneCmsBody(source, site, options)
    ads = {i: ad_slot(f"onecms-inread-{i}", "adv") for i in ad_positions(source, options)}
    inserts = ads
    links = inline_related(source, options)
    if links and options.inline_related_after is not None:
        inserts = merge_inserts({options.inline_related_after: inline_box(links)}, ads)
    html_blocks = writer.blocks(inserts)
    if source.byline:
        html_blocks.append(writer.byline(source.byline))
    return '<article class="entry entry-no-padding">\n' + "\n".join(html_blocks) + "\n</article>"


class LegacyOneCmsBody(OneCmsBody):
    """The older OneCMS body: paragraphs as bare ``<div>``s."""

    def paragraph(self, text: str) -> str:
        """A paragraph as a bare div."""
        return f"<div>{esc(text)}</div>"


def _mobile(source: ArticleSource, site: Site, options: PageOptions) -> str:
    writer = OneCmsBody(source, site, options)
    ads = {i: '<div class="qc-inread">Quảng cáo</div>' for i in ad_positions(source, options)}
    links = list(source.related[:2])
    if links and options.inline_related_after is not None:
        box = link_items(links, "item")
        ads = merge_inserts(
            {options.inline_related_after: f'<div class="box-relate"><p class="lbl">Tin liên quan'
             f"</p><ul>{box}</ul></div>"},
            ads,
        )  # fmt: skip
    blocks = writer.blocks(ads)
    if source.byline:
        blocks.append(writer.byline(source.byline))
    parts = [
        '<div class="detail-mobile">',
        f'<h1 class="title">{esc(source.title)}</h1>',
        f'<span class="time">{visible_date(source, options)}</span>',
        f'<h2 class="sapo">{esc(source.lead)}</h2>' if source.sapo else "",
        '<div class="detail-content">\n' + "\n".join(blocks) + "\n</div>",
        link_box("Tin liên quan", list(source.related), "sc-box", teaser_class="sapo"),
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def _legacy(source: ArticleSource, site: Site, options: PageOptions) -> str:
    writer = LegacyOneCmsBody(source, site, options)
    blocks = writer.blocks({i: ad_slot(f"old-{i}", "adv") for i in ad_positions(source, options)})
    if source.byline:
        blocks.append(writer.byline(source.byline))
    if source.related:
        first = source.related[0]
        blocks.append(f"<p><strong>Xem thêm:</strong> {anchor(first.url, first.title)}</p>")
    when = source.published
    parts = [
        '<div class="main-detail">',
        f"<h1>{esc(source.title)}</h1>",
        f'<p class="date">{weekday_vn(when)}, {dmy_hm(when, " - ")}</p>',
        f'<div class="sapo">{esc(source.lead)}</div>' if source.sapo else "",
        '<div class="entry">\n' + "\n".join(blocks) + "\n</div>",
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def render_article(
    source: ArticleSource, site: Site, options: PageOptions = DEFAULT_OPTIONS
) -> str:
    """The full HTML page of one article on a OneCMS site, in the options' layout."""
    page = prepare(source, options)
    if options.layout != "desktop":
        inner = (_mobile if options.layout == "mobile" else _legacy)(page, site, options)
        head_page = replace(page, jsonld=False) if options.layout == "mobile" else page
        style = MOBILE_HEAD if options.layout == "mobile" else HEAD_STYLE
        body = "\n".join(
            [
                '<header class="sc-header">',
                logo(site, "sc-logo"),
                "</header>",
                inner,
                link_box("Đọc nhiều", site.most_read, "sc-box sc-most-read"),
                footer(site, "sc-footer"),
            ]
        )
        return document(head(head_page, site, options, style), body, f"sc-page {options.layout}")
    trail = "".join(
        f"<li>{anchor(site.section_url(sec), sec.name)}</li>" for sec in crumbs(site, page.category)
    )
    tags = "".join(anchor(site.tag_url(t), t, "sc-tag") for t in page.tags)
    body = "\n".join(
        [
            '<header class="sc-header">',
            date_strip(captured_at(page, options), site.weather, "sc-header-top"),
            logo(site, "sc-logo"),
            '<nav class="sc-nav">',
            nav_menu(site, "sc-menu", "sc-menu-item"),
            "</nav>",
            "</header>",
            '<div class="sc-container">',
            '<ul class="breadcrumb">'
            f'<li><a href="{esc(site.base_url)}/">Trang chủ</a></li>{trail}</ul>',
            '<div class="sc-main">',
            longform_header(page, options),
            share_bar(page.canonical_url, page.title, "social-share sc-share"),
            entry(page, site, options),
            f'<div class="sc-tags"><span class="sc-tags-label">Từ khóa</span>{tags}</div>'
            if tags
            else "",
            link_box(
                "Tin liên quan",
                list(page.related),
                "sc-box sc-box-related",
                item_class="sc-related-item",
                teaser_class="sapo",
            ),
            comment_form("Gửi bình luận", "sc-comment", site.absolute("/comment/add")),
            link_box("Tin cùng chuyên mục", site.latest[:4], "sc-box sc-box-cate", thumb=True),
            link_box("Tin mới", site.latest, "sc-box sc-box-latest", time_format="%H:%M"),
            "</div>",
            '<aside class="sc-aside">',
            link_box("Đọc nhiều", site.most_read, "sc-box sc-most-read", thumb=True),
            link_box("Sự kiện nổi bật", site.events, "sc-box sc-events"),
            ad_slot("onecms-right-1", "adv banner"),
            "</aside>",
            "</div>",
            footer(site, "sc-footer"),
            page_scripts(site, ("/assets/web/js/vendor.min.js", "/assets/web/js/main.min.js")),
        ]
    )
    return document(head(page, site, options, HEAD_STYLE), body, "sc-page sc-detail")
