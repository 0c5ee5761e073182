"""Báo Hải Phòng (baohaiphong.vn), on OneCMS."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import ONECMS

PROFILE = OutletProfile(
    name="baohaiphong",
    domain="baohaiphong.vn",
    title="Báo Hải Phòng",
    template=ONECMS,
    dateline_markers=(r"\(Baohaiphong\.vn\)", r"\(BHP\)"),
    article_patterns=(r"-\d{8}\.html$", r"-post\d+\.html$"),
    deny_patterns=(r"^/(video|podcast|emagazine|multimedia|bao-in|tag)/",),
    sitemaps=("https://baohaiphong.vn/sitemap.xml",),
    feeds=("https://baohaiphong.vn/rss/home.rss",),
    listings=("https://baohaiphong.vn/thoi-su/",),
)
