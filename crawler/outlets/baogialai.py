"""Báo Gia Lai (baogialai.com.vn), on the EPI-style CMS."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import EPI

PROFILE = OutletProfile(
    name="baogialai",
    domain="baogialai.com.vn",
    title="Báo Gia Lai",
    template=EPI,
    dateline_markers=(r"\(GLO\)", r"GLO"),
    article_patterns=(r"-post\d+\.html$",),
    deny_patterns=(r"^/(video|podcast|emagazine|multimedia|epaper)/", r"/tag/"),
    sitemaps=("https://baogialai.com.vn/sitemap.xml",),
    feeds=("https://baogialai.com.vn/rss/home.rss",),
    listings=("https://baogialai.com.vn/thoi-su/",),
)
