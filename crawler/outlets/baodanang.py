"""Báo Đà Nẵng (baodanang.vn), on OneCMS."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import ONECMS

PROFILE = OutletProfile(
    name="baodanang",
    domain="baodanang.vn",
    title="Báo Đà Nẵng",
    template=ONECMS,
    dateline_markers=(r"\(Baodanang\.vn\)", r"ĐNO"),
    article_patterns=(r"-\d{8}\.html$", r"-post\d+\.html$"),
    deny_patterns=(r"^/(video|podcast|emagazine|multimedia|bao-in|tag)/",),
    sitemaps=("https://baodanang.vn/sitemap.xml",),
    feeds=("https://baodanang.vn/rss/home.rss",),
    listings=("https://baodanang.vn/chinh-tri/",),
)
