"""The EPI-style CMS (baohatinh.vn, baogialai.com.vn).

Article markup: ``h1.article__title.cms-title``; ``div.article__meta`` with
``<time datetime>``; ``div.article__sapo.cms-desc`` holding the dateline and lead; the body
``div.article__body.zce-content-body.cms-body[itemprop=articleBody]`` with
``figure.picture`` photos whose ``img`` alt/title repeat the headline and whose caption is
``figcaption.PhotoCMS_Caption``, ``div.ads_middle`` / ``div[id^=adsWeb_]`` ads and an optional
inline ``div.related-news`` box; then ``div.article__author span.name``, an optional
``div.article__topic`` ("Chủ đề …"), ``div.article__tag`` links and the "Đọc thêm"
``div.box-related`` whose items print each title twice (thumbnail alt and link) plus a teaser.

Layouts (as real pages of outlets on this CMS show them):

* ``desktop``: the above.
* ``mobile`` (plo.vn's mobile page): ``div.article`` with a section ``h2`` breadcrumb,
  ``time.article__time``, the sapo as a ``<p>`` inside ``div.article__sapo``, ``adsMobile_*``
  ad ids; inside the body, after the text, a related card ``div.article-relate``, a
  ``div.related-topic`` "Dòng sự kiện:" box with dated headlines, and ``div.article__meta``
  holding the authors as ``a.name`` links in capitals; tags prefixed "#".
* ``legacy`` (baolaocai.vn's older desktop page): the body's first child is a ``<style>``
  element, paragraphs are bare ``<div>``s, ads are ``div.sda_middle`` with ``sdaWeb_*`` ids, and
  the byline is the body's last child ``div.t1``; no author element outside the body.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
    logo,
    merge_inserts,
    nav_menu,
    page_scripts,
    prepare,
    share_bar,
    sidebar,
    thumb_src,
)

if TYPE_CHECKING:
    from crawler.fakeoutlets.sites import Site
    from crawler.fakeoutlets.source import ArticleSource, Block, RelatedLink

HEAD_STYLE = HeadStyle(
    stylesheets=("/static/css/main.min.css", "/static/css/detail.min.css"),
    generator="EPI CMS",
)


class EpiBody(BodyWriter):
    """EPI body: ``figure.picture`` photos with the headline as alt/title text."""

    paragraph_style = ""

    def image(self, block: Block) -> str:
        """A photo whose alt and title repeat the headline, caption in PhotoCMS_Caption."""
        title = esc(self.source.title)
        cap = (
            f'<figcaption class="PhotoCMS_Caption"><p>{esc(block.caption)}</p></figcaption>'
            if block.caption
            else ""
        )
        return (
            f'<figure class="picture"><img src="{esc(block.src)}" alt="{title}" '
            f'title="{title}" class="lazyload cms-photo">{cap}</figure>'
        )


def related_story(link: RelatedLink, cls: str = "story") -> str:
    """One related item: thumbnail (title as alt), linked title, teaser."""
    teaser = f'<div class="story__summary">{esc(link.teaser)}</div>' if link.teaser else ""
    return (
        f'<article class="{cls}">'
        f'<a class="story__thumb" href="{esc(link.url)}" title="{esc(link.title)}">'
        f'<img src="{esc(thumb_src(link.url))}" alt="{esc(link.title)}"></a>'
        f'<h3 class="story__heading">{anchor(link.url, link.title, "cms-link")}</h3>'
        f"{teaser}</article>"
    )


def read_more(links: list[RelatedLink]) -> str:
    """The "Đọc thêm" block after the article."""
    if not links:
        return ""
    items = "\n".join(related_story(link) for link in links)
    return f'<div class="box-related">\n<h3 class="box-heading">Đọc thêm</h3>\n{items}\n</div>'


def inline_box(links: list[RelatedLink]) -> str:
    """The inline related-news box editors drop between body paragraphs."""
    items = "".join(f"<li>{anchor(link.url, link.title)}</li>" for link in links)
    return f'<div class="related-news"><ul>{items}</ul></div>'


def header(site: Site, source: ArticleSource, options: PageOptions) -> str:
    """Site header: date/weather strip, logo, search, main menu."""
    return "\n".join(
        [
            '<header class="site-header">',
            '<div class="header__top container">',
            date_strip(captured_at(source, options), site.weather, "header__date"),
            logo(site, "header__logo"),
            f'<form class="header__search" action="{esc(site.absolute("/tim-kiem/"))}">'
            '<input type="text" name="q" placeholder="Tìm kiếm"></form>',
            "</div>",
            '<nav class="main-menu">',
            nav_menu(site, "menu__list", "menu__item"),
            "</nav>",
            "</header>",
        ]
    )


def article(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """The ``<article>`` element: headline, meta, sapo, body and what follows it."""
    writer = EpiBody(source, site, options)
    ads = {
        index: (
            ad_slot(f"inread-{n}", "ads_middle")
            if n == 0
            else ad_slot(f"inpage-{n}", "ads", f"adsWeb_AdsArticleMiddle{n}")
        )
        for n, index in enumerate(ad_positions(source, options))
    }
    related_inline = inline_related(source, options)
    inserts = ads
    if related_inline and options.inline_related_after is not None:
        inserts = merge_inserts({options.inline_related_after: inline_box(related_inline)}, ads)
    published = source.published
    parts = [
        '<article class="article">',
        f'<h1 class="article__title cms-title">{esc(source.title)}</h1>',
        '<div class="article__meta">',
        f'<time datetime="{published.isoformat()}">{dmy_hm(published)}</time>',
        '<span class="article__views">Lượt xem: 1.214</span>',
        "</div>",
        share_bar(source.canonical_url, source.title, "social-share article__share-top"),
    ]
    if source.sapo:
        parts.append(f'<div class="article__sapo cms-desc">{esc(source.lead)}</div>')
    parts.append(ad_slot("after-sapo", "ads", "adsWeb_AdsArticleAfterSapo"))
    parts.append(
        '<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n'
        + "\n".join(writer.blocks(inserts))
        + "\n</div>"
    )
    if source.byline:
        parts.append(
            f'<div class="article__author"><span class="name">{esc(source.byline)}</span></div>'
        )
    if options.topic:
        topic_url = site.absolute(f"/chu-de/{source.case}/")
        parts.append(f'<div class="article__topic">Chủ đề {anchor(topic_url, options.topic)}</div>')
    if source.tags:
        tag_links = " ".join(anchor(site.tag_url(t), t) for t in source.tags)
        parts.append(f'<div class="article__tag"><span>Từ khóa:</span> {tag_links}</div>')
    parts.append(share_bar(source.canonical_url, source.title, "social-share article__share"))
    parts.append(read_more(list(source.related)))
    parts.append(comment_form("Ý kiến bạn đọc", "box-comment", site.absolute("/api/comment/post")))
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


class LegacyEpiBody(EpiBody):
    """The older EPI body: paragraphs as bare ``<div>`` elements."""

    def paragraph(self, text: str) -> str:
        """A paragraph as a bare div."""
        return f"<div> {esc(text)} <br>\n</div>"


def _related_topic(links: list[RelatedLink], when: datetime) -> str:
    """The "Dòng sự kiện" box of the mobile page: a topic link and dated headlines."""
    if not links:
        return ""
    stories = "".join(
        f'<article class="story"><h2 class="story__heading">'
        f"{anchor(link.url, link.title, 'cms-link', title=True)}</h2>"
        f'<time class="time" datetime="{(when - timedelta(hours=5 * i)).isoformat()}">'
        f"{dmy_hm(when - timedelta(hours=5 * i))}</time></article>"
        for i, link in enumerate(links)
    )
    return (
        '<div class="related-topic"><h3 class="box-heading"><a class="title" href="/chu-de/">'
        "<span>Dòng sự kiện:</span> Tin tiêu điểm</a></h3>"
        f'<div class="box-content">{stories}</div>'
        '<a class="btn-more" href="/chu-de/">Xem thêm</a></div>'
    )


def article_mobile(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """The mobile page's ``div.article`` (see the module docstring)."""
    writer = EpiBody(source, site, options)
    ads = {
        index: f'<div class="ads_middle"><div id="adsMobile_AdsArticleMiddle{n or ""}" '
        f'class="banner fyi" data-position="Mobile_AdsArticleMiddle{n or ""}"></div></div>'
        for n, index in enumerate(ad_positions(source, options))
    }
    related = list(source.related)
    card = related_story(related[0]) if related else ""
    names = "".join(
        f'<a href="#" class="name" title=" {esc(a.upper())}"> {esc(a.upper())}</a>'
        for a in source.authors
    )
    body_end = [
        f'<div class="article-relate" data-source="related-news">{card}</div>' if card else "",
        _related_topic(related[1:4], captured_at(source, options)),
        '<div class="article__meta"><div class="meta">'
        f'<div class="author cms-author">{names}</div></div>'
        f"{share_bar(source.canonical_url, source.title, 'social article__social')}</div>",
    ]
    sec = crumbs(site, source.category)[-1]
    parts = [
        '<div class="article">',
        f'<div class="breadcrumb"><h2 class="main">{anchor(site.section_url(sec), sec.name)}'
        "</h2></div>",
        '<div class="article__header">',
        f'<h1 class="article__title cms-title">{esc(source.title)}</h1>',
        f'<time class="article__time" datetime="{source.published.isoformat()}">'
        f"{dmy_hm(source.published)}</time>",
        "</div>",
        f'<div class="article__sapo cms-desc"><p>{esc(source.lead)}</p></div>'
        if source.sapo
        else "",
        '<div id="adsMobile_AdsArticleAfterSapo" class="banner clearfix"></div>',
        '<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n'
        + "\n".join([*writer.blocks(ads), *body_end])
        + "\n</div>",
        '<div class="article__footer">',
        link_box("Tin liên quan", related, "related-news", heading_tag="div"),
        '<div class="article__tag"><h3 class="box-heading">từ khóa</h3>'
        + "".join(anchor(site.tag_url(t), f"#{t}", title=True) for t in source.tags)
        + "</div>",
        "</div>",
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def article_legacy(source: ArticleSource, site: Site, options: PageOptions) -> str:
    """The older desktop page's ``<article>`` (see the module docstring)."""
    writer = LegacyEpiBody(source, site, options)
    ads = {
        index: f'<div class="sda_middle"><div id="sdaWeb_SdaArticleMiddle{n + 1}" '
        'class="rennab fyi"></div></div>'
        for n, index in enumerate(ad_positions(source, options))
    }
    blocks = [
        "<style>.t2 { font-weight: bold; } .t1 { text-align: right; }</style>",
        *writer.blocks(ads),
    ]
    if source.byline:
        blocks.append(f'<div class="t1"> <span class="t2">{esc(source.byline)}</span>\n</div>')
    blocks.append('<div id="sdaWeb_SdaArticleAfterBody" class="rennab" style="display:none"></div>')
    published = source.published
    parts = [
        '<article class="article">',
        f'<h1 class="article__title cms-title">{esc(source.title)}</h1>',
        '<div class="article__meta">',
        f'<time datetime="{published.isoformat()}">{dmy_hm(published)}</time>',
        "</div>",
        f'<div class="article__sapo cms-desc">{esc(source.lead)}</div>' if source.sapo else "",
        '<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n'
        + "\n".join(blocks)
        + "\n</div>",
        f'<div class="article__tag"><span>Từ khóa:</span> '
        f"{' '.join(anchor(site.tag_url(t), t) for t in source.tags)}</div>"
        if source.tags
        else "",
        read_more(list(source.related)),
        "</article>",
    ]
    return "\n".join(p for p in parts if p)


def render_article(
    source: ArticleSource, site: Site, options: PageOptions = DEFAULT_OPTIONS
) -> str:
    """The full HTML page of one article on an EPI-style site, in the options' layout."""
    page = prepare(source, options)
    if options.layout == "mobile":
        return _page(page, site, options, article_mobile(page, site, options), "normal-page")
    if options.layout == "legacy":
        return _page(page, site, options, article_legacy(page, site, options), "detail-page")
    trail = " ".join(
        anchor(site.section_url(sec), sec.name, "active" if i else "")
        for i, sec in enumerate(crumbs(site, page.category))
    )
    body = "\n".join(
        [
            header(site, page, options),
            '<main class="site-content container">',
            f'<div class="breadcrumb"><a href="{esc(site.base_url)}/">Trang chủ</a> {trail}</div>',
            '<div class="layout layout--detail">',
            '<div class="main-col">',
            article(page, site, options),
            link_box(
                "Tin cùng chuyên mục",
                site.latest,
                "box-category-news",
                thumb=True,
            ),
            "</div>",
            sidebar(site, "sidebar", time_format="%H:%M"),
            "</div>",
            "</main>",
            footer(site, "site-footer"),
            page_scripts(site, ("/static/js/jquery.min.js", "/static/js/main.min.js")),
        ]
    )
    return document(head(page, site, options, HEAD_STYLE), body, "detail-page epi")


def _page(
    source: ArticleSource, site: Site, options: PageOptions, article_html: str, cls: str
) -> str:
    """The mobile or legacy page around its article."""
    body = "\n".join(
        [
            '<div class="top-banner"><div id="adsMobile_AdsMasthead" class="banner"></div></div>',
            '<header class="site-header"><h2 class="logo">'
            f'<a class="logo-img" href="/" title="{esc(site.title)}">{esc(site.title)}</a></h2>'
            "</header>",
            '<div class="site-body">',
            article_html,
            link_box("Đọc thêm", site.latest, "zone zone--list", time_format="%H:%M %d/%m/%Y"),
            link_box("Đừng bỏ lỡ", site.most_read, "zone zone--primary", thumb=True),
            "</div>",
            footer(site, "site-footer"),
            page_scripts(site, ("/static/js/mobile.min.js",)),
        ]
    )
    return document(head(source, site, options, HEAD_STYLE), body, cls)
