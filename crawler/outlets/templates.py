"""The vendor CMS templates the outlets run on.

Selectors come from public scrapers of these outlets and from the project's stored pages;
each field lists current markup first and older or alternative markup after it.
"""

from __future__ import annotations

from crawler.outlets.base import CmsTemplate

# Scripts, styles and widgets no article body ever holds, pruned on every template.
COMMON_PRUNE: tuple[str, ...] = (
    "script",
    "style",
    "noscript",
    "iframe",
    "form",
    "button",
    "ins.adsbygoogle",
    "[class*=share]",
    "[class*=social]",
)

# Headings of blocks that end the article text wherever they appear inside a body.
COMMON_STOP_MARKERS: tuple[str, ...] = (
    "đọc thêm",
    "tin liên quan",
    "tin cùng chuyên mục",
    "tin mới",
    "xem thêm",
    "bài liên quan",
    "có thể bạn quan tâm",
)

EPI = CmsTemplate(
    name="epi",
    title=("h1.article__title", "h1.cms-title", "h1"),
    sapo=(".article__sapo", ".cms-desc"),
    body=(
        "div.article__body[itemprop=articleBody]",
        "div.article__body",
        "div.cms-body",
        "[itemprop=articleBody]",
    ),
    prune=(
        *COMMON_PRUNE,
        ".ads_middle",
        "[id^=adsWeb_]",
        ".related-news",
        ".box-related",
        ".article__topic",
    ),
    caption=("figcaption", ".PhotoCMS_Caption"),
    published=(".article__meta time[datetime]", ".article__meta .time", "time"),
    author=(".article__author .name", ".cms-author .name", ".article__author", ".cms-author"),
    category=(".breadcrumb a", ".article__cate a"),
    tags=(".article__tag a", ".box-tag a"),
    stop_markers=COMMON_STOP_MARKERS,
    # The CMS's own "cms-*" classes on the body (desktop and mobile layouts alike).
    signature=("div.cms-body[itemprop=articleBody]", "div.article__body.cms-body"),
)
"""EPI-style CMS (baohatinh; also nhandan, sggp, tienphong, baogialai, vietnamplus)."""

ONECMS = CmsTemplate(
    name="onecms",
    title=(".sc-longform-header-title", "h1.title", "h1"),
    sapo=(".sc-longform-header-sapo", ".sapo"),
    body=("article.entry", "div.entry", ".detail-content"),
    prune=(*COMMON_PRUNE, ".sc-related-articles", ".related", ".adv", ".banner"),
    caption=("figcaption", ".caption", ".image-caption"),
    published=("span.sc-longform-header-date",),
    author=("span.sc-longform-header-author",),
    category=("ul.breadcrumb a", ".breadcrumb a"),
    tags=(".sc-tags a", ".tags a"),
    stop_markers=COMMON_STOP_MARKERS,
    signature=(".sc-longform-header-title",),
)
"""OneCMS (baonghean; also baodanang, baohaiphong), images on ``*.1cdn.vn``."""

TAGDIV = CmsTemplate(
    name="tagdiv",
    title=("h1.entry-title", "h1.tdb-title-text", "h1"),
    sapo=(".td-post-sub-title", ".sapo"),
    sapo_first_paragraph=True,
    body=("div.td-post-content", "#content"),
    prune=(
        *COMMON_PRUNE,
        ".td-a-rec",
        ".td-post-sharing",
        ".td-post-source-tags",
        ".jp-relatedposts",
        ".td_block_related_posts",
    ),
    caption=("figcaption", ".wp-caption-text"),
    published=("time.entry-date", ".td-post-date time", ".td-post-date"),
    modified=("time.updated",),
    author=(".td-post-author-name a", ".td-post-author-name"),
    category=(".entry-crumbs a", ".td-category a"),
    tags=("ul.td-tags a", ".td-tags a"),
    stop_markers=COMMON_STOP_MARKERS,
    signature=("div.td-post-content",),
)
"""WordPress with the tagDiv "Newspaper" theme (baoquangtri)."""

HAUGIANG = CmsTemplate(
    name="haugiang",
    title=("div.news-details-content h1", "h1"),
    sapo=("div.news-details-content .sapo",),
    body=("div.news-details-content div.contentView", "div.contentView"),
    # The sidebar boxes matter when the body selector fails and trafilatura reads the page.
    prune=(*COMMON_PRUNE, ".box-comment", ".news-other", ".col-right", ".box-info", ".box-digest"),
    caption=("figcaption", ".image-caption", "td.caption"),
    published=("div.news-details-content .date", ".date"),
    category=("div.box-breadcrumb a",),
    tags=(".box-tags a", ".tags a"),
    stop_markers=COMMON_STOP_MARKERS,
    signature=("div.news-details-content div.contentView",),
)
"""Báo Hậu Giang's own CMS (baohaugiang.com.vn, archived after the 2025 merger)."""

CANTHO = CmsTemplate(
    name="cantho",
    title=("#newscontents h1", "h1"),
    sapo=(),
    sapo_first_paragraph=True,
    body=("#newscontents .content-fck", ".content-fck"),
    prune=(*COMMON_PRUNE, "div.detail-related", ".block_tag"),
    # Captions are centred paragraphs holding only an <em>.
    caption=(
        "figcaption",
        "p[style*=center] > em",
        "p[align=center] > em",
    ),
    published=("span.pubdate",),
    category=("div.titlecate a",),
    tags=("div.block_tag a.tag_item", ".block_tag a"),
    stop_markers=COMMON_STOP_MARKERS,
    signature=("#newscontents .content-fck",),
)

TEMPLATES: tuple[CmsTemplate, ...] = (EPI, ONECMS, TAGDIV, HAUGIANG, CANTHO)
"""Every template, in the order their signatures are tried on unknown outlets."""
"""Báo Cần Thơ's CMS (baocantho.com.vn)."""
