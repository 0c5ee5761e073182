"""Báo Nghệ An (baonghean.vn), on OneCMS."""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import ONECMS

PROFILE = OutletProfile(
    name="baonghean",
    domain="baonghean.vn",
    title="Báo Nghệ An",
    template=ONECMS,
    dateline_markers=(r"\(Baonghean\.vn\)", r"\(Baonghean\)"),
    # Current URLs end in an 8-digit id; older ones in -post<id>.html.
    article_patterns=(r"-\d{8}\.html$", r"-post\d+\.html$"),
    deny_patterns=(r"^/(video|podcast|emagazine|e-magazine|multimedia|bao-in|tag)/",),
    sitemaps=("https://baonghean.vn/sitemap.xml",),
    feeds=("https://baonghean.vn/rss/home.rss",),
    listings=("https://baonghean.vn/chinh-tri/",),
)
