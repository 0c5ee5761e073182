"""Page options of the stored fixture cases: how each stored page deviates from its template.

Keyed by ``(outlet, case)``; cases not listed use :data:`DEFAULT_OPTIONS`. The fixture builder
and the fake-outlet server both read this table, so a case renders the same everywhere.
"""

from __future__ import annotations

from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions

PAGE_OPTIONS: dict[tuple[str, str], PageOptions] = {
    # EPI ---------------------------------------------------------------------------------
    ("baohatinh", "pho-bi-thu-thuong-truc"): PageOptions(
        inline_related_after=5, inline_related_count=2, captured_at="2026-02-10T09:45:00+07:00"
    ),
    ("baohatinh", "to-chuc-co-so-dang-khoi-ccq"): PageOptions(
        topic="Hoạt động của lãnh đạo tỉnh", captured_at="2026-02-10T09:30:00+07:00"
    ),
    ("baohatinh", "san-xuat-vu-xuan-2026"): PageOptions(
        og_description="Hà Tĩnh đặt mục tiêu gieo cấy 58.500 ha lúa vụ xuân 2026, ưu tiên giống "
        "chất lượng cao và chủ động phòng chống rét.",
    ),
    ("baogialai", "ca-phe-vao-vu"): PageOptions(inline_related_after=3),
    ("baogialai", "xoa-nha-tam"): PageOptions(nfd_title=True),
    ("baogialai", "du-lich-quy-nhon-he"): PageOptions(ads=False),
    # OneCMS ------------------------------------------------------------------------------
    ("baonghean", "dai-hoi-dang-cac-cap"): PageOptions(
        weekday=True, inline_related_after=6, captured_at="2020-07-03T07:15:00+07:00"
    ),
    ("baonghean", "khac-phuc-mua-lu-mien-tay"): PageOptions(inline_related_after=4),
    ("baonghean", "truong-chuan-quoc-gia"): PageOptions(weekday=True),
    ("baodanang", "du-lich-he-2023"): PageOptions(inline_related_after=2, inline_related_count=2),
    ("baodanang", "nut-giao-khac-muc"): PageOptions(weekday=True, nfd_blocks=(0, 5)),
    ("baodanang", "sot-xuat-huyet-2024"): PageOptions(),
    ("baohaiphong", "cang-lach-huyen-2021"): PageOptions(),
    ("baohaiphong", "phuc-hoi-sau-bao-yagi"): PageOptions(weekday=True, inline_related_after=5),
    ("baohaiphong", "chi-bo-kieu-mau-2026"): PageOptions(),
    # tagDiv ------------------------------------------------------------------------------
    ("baoquangtri", "xay-dung-dang-9-thang-2019"): PageOptions(
        image_style="legacy", spacers=True, captured_at="2019-10-01T10:00:00+07:00"
    ),
    ("baoquangtri", "chuyen-doi-so-cap-xa"): PageOptions(
        show_updated=True, nfd_title=True, subtitle=True
    ),
    ("baoquangtri", "phong-nha-don-khach"): PageOptions(),
    # Hậu Giang ---------------------------------------------------------------------------
    ("baohaugiang", "chi-dao-to-chuc-co-so-dang"): PageOptions(
        image_style="legacy", captured_at="2024-11-21T12:00:00+07:00"
    ),
    ("baohaugiang", "khom-cau-duc"): PageOptions(nfd_blocks=(2,)),
    ("baohaugiang", "nha-o-ho-ngheo"): PageOptions(image_style="legacy"),
    # Cần Thơ -----------------------------------------------------------------------------
    ("baocantho", "hang-hoa-tet-binh-ngo"): PageOptions(related_in_body=True),
    ("baocantho", "nha-o-ho-ngheo-hau-giang"): PageOptions(
        og_description="Gần 1.900 hộ nghèo, hộ cận nghèo ở Hậu Giang đã có nhà mới trước "
        "thời điểm hợp nhất tỉnh."
    ),
    ("baocantho", "mo-hinh-lua-tom-2020"): PageOptions(headings_as_bold=True, nfd_blocks=(2,)),
}
"""Options of every stored case that differs from the template default."""


def page_options(outlet: str, case: str) -> PageOptions:
    """The page options of one stored case (defaults when the case is not listed)."""
    return PAGE_OPTIONS.get((outlet, case), DEFAULT_OPTIONS)
