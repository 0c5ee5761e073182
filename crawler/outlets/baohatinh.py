"""Báo Hà Tĩnh (baohatinh.vn), on the EPI-style CMS."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import EPI

PROFILE = OutletProfile(
    name="baohatinh",
    domain="baohatinh.vn",
    title="Báo Hà Tĩnh",
    template=EPI,
    dateline_markers=(r"\(Baohatinh\.vn\)", r"\(BHT\)"),
    article_patterns=(r"-post\d+\.html$",),
    deny_patterns=(r"^/(video|podcast|emagazine|e-magazine|multimedia|epaper|bao-in)/", r"/tag/"),
    sitemaps=("https://baohatinh.vn/sitemap.xml",),
    feeds=("https://baohatinh.vn/rss/home.rss",),
    listings=("https://baohatinh.vn/chinh-tri/", "https://baohatinh.vn/xa-hoi/"),
)
