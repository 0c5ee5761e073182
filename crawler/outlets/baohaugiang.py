"""Báo Hậu Giang (baohaugiang.com.vn); merged into Báo Cần Thơ in 2025, archive still online."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import HAUGIANG

PROFILE = OutletProfile(
    name="baohaugiang",
    domain="baohaugiang.com.vn",
    title="Báo Hậu Giang",
    template=HAUGIANG,
    dateline_markers=(r"\(HGO\)", r"\(HG\)"),
    article_patterns=(r"^/[\w-]+/[\w-]+-\d+\.html$",),
    deny_patterns=(r"^/(video|podcast|emagazine|bao-in|tag|tim-kiem)/",),
    sitemaps=("https://baohaugiang.com.vn/sitemap.xml",),
    feeds=("https://baohaugiang.com.vn/rss/tin-moi.rss",),
    listings=("https://baohaugiang.com.vn/chinh-tri/",),
    merged_into="baocantho.com.vn",
)
