"""Báo Quảng Trị (baoquangtri.vn), WordPress with the tagDiv theme.

Quảng Bình's paper merged into it in 2025: migrated articles keep their "(QBĐT) - " marker.
"""

from crawler.outlets.base import OutletProfile
from crawler.outlets.templates import TAGDIV

PROFILE = OutletProfile(
    name="baoquangtri",
    domain="baoquangtri.vn",
    title="Báo Quảng Trị",
    template=TAGDIV,
    aliases=("baoquangbinh.vn",),
    dateline_markers=(r"QTO", r"\(QT\)", r"\(QBĐT\)"),
    # /<category>/<YYYYMM>/<slug>-<hex id>/
    article_patterns=(r"^/[\w-]+/\d{6}/[\w-]+-[0-9a-f]{4,}/?$",),
    deny_patterns=(r"^/(video|podcast|emagazine|bao-in|tag|author)/",),
    sitemaps=("https://baoquangtri.vn/sitemap_index.xml",),
    feeds=("https://baoquangtri.vn/feed/",),
    listings=("https://baoquangtri.vn/chinh-tri/",),
)
