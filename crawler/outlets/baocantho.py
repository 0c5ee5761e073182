"""Báo Cần Thơ (baocantho.com.vn); Hậu Giang's paper merged into it in 2025."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import CANTHO

PROFILE = OutletProfile(
    name="baocantho",
    domain="baocantho.com.vn",
    title="Báo Cần Thơ",
    template=CANTHO,
    dateline_markers=(r"\(CTO\)", r"\(HG\)"),
    article_patterns=(r"-a\d+\.html$",),
    deny_patterns=(r"^/(video|podcast|emagazine|bao-in|tag|epaper)/",),
    sitemaps=("https://baocantho.com.vn/sitemap.xml",),
    feeds=("https://baocantho.com.vn/rss/home.rss",),
    listings=("https://baocantho.com.vn/chinh-tri/",),
)
