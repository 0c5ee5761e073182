"""The fake outlets: identity, URL scheme, menus, sidebars and footers of eight papers.

A :class:`Site` carries everything a renderer needs besides the article itself: the paper's
name and domain, its top menu and sections (for breadcrumbs), sidebar lists ("Tin mới",
"Đọc nhiều", "Sự kiện nổi bật") and the imprint printed in the footer.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Literal

from slugify import slugify

UrlStyle = Literal["post", "onecms", "tagdiv", "haugiang", "cantho"]
TemplateName = Literal["epi", "onecms", "tagdiv", "haugiang", "cantho"]

VN_TZ = timezone(timedelta(hours=7))
"""Vietnam's time zone (UTC+7, no daylight saving)."""


def slug_of(text: str) -> str:
    """ASCII URL slug of a Vietnamese title ("Đảng ủy" → "dang-uy")."""
    return str(slugify(text))


def stable_id(text: str, digits: int) -> int:
    """A deterministic numeric id of ``digits`` digits derived from ``text``."""
    low = int(10 ** (digits - 1))
    return low + zlib.crc32(text.encode("utf-8")) % (9 * low)


@dataclass(frozen=True)
class Section:
    """A site section (category): menu label, path and optional parent section name."""

    name: str
    path: str
    parent: str | None = None


@dataclass(frozen=True)
class SiteLink:
    """A link in the page chrome (sidebar, footer list), with optional teaser and time."""

    title: str
    url: str
    teaser: str | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class Imprint:
    """What the footer prints about the paper."""

    publisher: str
    address: str
    license: str
    editor: str
    phone: str
    email: str


@dataclass(frozen=True)
class Site:
    """One fake outlet."""

    name: str
    """Outlet id (spider name), e.g. ``"baohatinh"``."""
    title: str
    """Paper name appended to page titles, e.g. "Báo Hà Tĩnh"."""
    domain: str
    template: TemplateName
    url_style: UrlStyle
    slogan: str
    sections: tuple[Section, ...]
    imprint: Imprint
    latest: tuple[SiteLink, ...] = ()
    most_read: tuple[SiteLink, ...] = ()
    events: tuple[SiteLink, ...] = ()
    weather: str = ""
    """Weather forecast text of the header strip or "THÔNG TIN CẦN BIẾT" box."""
    extras: dict[str, tuple[SiteLink, ...]] = field(default_factory=dict)
    """Further named link lists a template prints (e.g. ``"digest"`` for "Điểm tin sáng")."""

    @property
    def base_url(self) -> str:
        """``https://<domain>`` without a trailing slash."""
        return f"https://{self.domain}"

    def absolute(self, path: str) -> str:
        """Absolute URL of a site path."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def relative(self, url: str) -> str:
        """A same-site URL without scheme and host or leading slash (for ``<base href>``)."""
        prefix = f"{self.base_url}/"
        return url[len(prefix) :] if url.startswith(prefix) else url

    @property
    def menu(self) -> tuple[Section, ...]:
        """Top-level sections, in menu order."""
        return tuple(s for s in self.sections if s.parent is None)

    def section(self, name: str) -> Section:
        """The section called ``name`` (a made-up top-level one if the site lacks it)."""
        for sec in self.sections:
            if sec.name == name:
                return sec
        return Section(name, f"/{slug_of(name)}/")

    def breadcrumb(self, category: str) -> list[Section]:
        """Sections from the top level down to ``category``."""
        chain = [self.section(category)]
        while chain[0].parent is not None:
            chain.insert(0, self.section(chain[0].parent))
        return chain

    def section_url(self, sec: Section) -> str:
        """Absolute URL of a section listing."""
        if self.url_style == "haugiang":
            return self.absolute(sec.path.rstrip("/") + ".html")
        return self.absolute(sec.path)

    def tag_url(self, tag: str) -> str:
        """Absolute URL of a tag listing."""
        if self.url_style == "cantho":
            return self.absolute(f"tags/{slug_of(tag)}.html")
        return self.absolute(f"/tag/{slug_of(tag)}/")

    def article_url(self, title: str, section: str, when: datetime) -> str:
        """Absolute URL of an article in this site's URL scheme."""
        slug = slug_of(title)
        path = self.section(section).path
        if self.url_style == "post":
            return self.absolute(f"/{slug}-post{stable_id(title, 6)}.html")
        if self.url_style == "onecms":
            return self.absolute(f"/{slug}-{stable_id(title, 8)}.html")
        if self.url_style == "tagdiv":
            hex_id = format(zlib.crc32(title.encode("utf-8")), "08x")[:7]
            return self.absolute(f"{path}{when:%Y%m}/{slug}-{hex_id}/")
        if self.url_style == "haugiang":
            return self.absolute(f"{path.rstrip('/')}/{slug}-{stable_id(title, 6)}.html")
        return self.absolute(f"/{slug}-a{stable_id(title, 6)}.html")

    def link(self, title: str, section: str, when: datetime, teaser: str | None = None) -> SiteLink:
        """A chrome link to a (fake) article of this site."""
        return SiteLink(title, self.article_url(title, section, when), teaser, when)


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=VN_TZ)


def _with_links(
    site: Site,
    section: str,
    latest: list[tuple[str, str]],
    most_read: list[str],
    events: list[str],
    extras: dict[str, list[tuple[str, str, str | None]]] | None = None,
) -> Site:
    """Fill a site's sidebar lists from (title, time) pairs and plain titles."""
    latest_links = tuple(site.link(t, section, _at(when)) for t, when in latest)
    base = latest_links[0].time or _at("2024-01-01T00:00")
    read_links = tuple(
        site.link(t, section, base - timedelta(days=3 + i)) for i, t in enumerate(most_read)
    )
    event_links = tuple(SiteLink(e, site.tag_url(e)) for e in events)
    extra_links = {
        key: tuple(site.link(t, section, _at(when), teaser) for t, when, teaser in items)
        for key, items in (extras or {}).items()
    }
    return replace(
        site, latest=latest_links, most_read=read_links, events=event_links, extras=extra_links
    )


_BAOHATINH = _with_links(
    Site(
        name="baohatinh",
        title="Báo Hà Tĩnh",
        domain="baohatinh.vn",
        template="epi",
        url_style="post",
        slogan="Cơ quan của Đảng bộ, Chính quyền, Nhân dân tỉnh Hà Tĩnh",
        sections=(
            Section("Chính trị", "/chinh-tri/"),
            Section("Xây dựng Đảng", "/chinh-tri/xay-dung-dang/", "Chính trị"),
            Section("Hoạt động của lãnh đạo tỉnh", "/chinh-tri/lanh-dao-tinh/", "Chính trị"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Nông nghiệp", "/kinh-te/nong-nghiep/", "Kinh tế"),
            Section("Xã hội", "/xa-hoi/"),
            Section("Văn hóa - Giải trí", "/van-hoa-giai-tri/"),
            Section("Thể thao", "/the-thao/"),
            Section("Bạn đọc", "/ban-doc/"),
        ),
        imprint=Imprint(
            publisher="Báo Hà Tĩnh - Cơ quan của Đảng bộ, Chính quyền, Nhân dân tỉnh Hà Tĩnh",
            address="Số 41, đường Phan Đình Phùng, phường Thành Sen, tỉnh Hà Tĩnh",
            license="Giấy phép số 256/GP-BTTTT ngày 12/6/2023 của Bộ Thông tin và Truyền thông",
            editor="Tổng biên tập: Nguyễn Văn Thành",
            phone="Điện thoại: 0239.3855.326 - Đường dây nóng: 0912.331.456",
            email="toasoan@baohatinh.vn",
        ),
        weather="Hà Tĩnh: Nhiều mây, có mưa rào nhẹ, 22-27°C",
    ),
    "Chính trị",
    [
        (
            "Tập trung rà soát, giải quyết dứt điểm các vụ việc tồn đọng, phức tạp",
            "2026-02-10T09:12",
        ),
        ("Gia Hanh trao tặng huy hiệu Đảng cho 26 đảng viên", "2026-02-10T08:30"),
        ("Sửa quy định thi hành Điều lệ Đảng trong năm 2026", "2026-02-09T21:05"),
        ("Bộ Chính trị ra quy định về mức đóng đảng phí", "2026-02-09T17:44"),
        ("Ứng dụng Sổ tay đảng viên điện tử còn nhiều khó khăn", "2026-02-09T15:20"),
        ("Những yêu cầu mới đặt ra trong công tác xây dựng Đảng", "2026-02-09T10:02"),
    ],
    [
        "Các khu di tích Tổng Bí thư Trần Phú, Hà Huy Tập sẵn sàng đón người dân "
        "đến tri ân dịp Tết",
        "Hiện thực hóa các định hướng chiến lược, Hà Tĩnh phát triển nhanh, toàn diện và bền vững",
        "Nông dân Can Lộc xuống đồng gieo cấy sớm vụ xuân",
        "Giá cá khô Cửa Sót tăng mạnh dịp cận Tết",
        "Hà Tĩnh rét đậm, nhiệt độ thấp nhất dưới 10 độ C",
    ],
    ["Đại hội XIV của Đảng", "Chính quyền địa phương 2 cấp", "Xây dựng nông thôn mới"],
)

_BAOGIALAI = _with_links(
    Site(
        name="baogialai",
        title="Báo Gia Lai",
        domain="baogialai.com.vn",
        template="epi",
        url_style="post",
        slogan="Cơ quan của Đảng bộ tỉnh Gia Lai",
        sections=(
            Section("Thời sự", "/thoi-su/"),
            Section("Chính trị", "/thoi-su/chinh-tri/", "Thời sự"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Nông nghiệp", "/kinh-te/nong-nghiep/", "Kinh tế"),
            Section("Xã hội", "/xa-hoi/"),
            Section("An sinh", "/xa-hoi/an-sinh/", "Xã hội"),
            Section("Du lịch", "/du-lich/"),
            Section("Văn hóa", "/van-hoa/"),
            Section("Thể thao", "/the-thao/"),
        ),
        imprint=Imprint(
            publisher="Báo và Phát thanh, Truyền hình Gia Lai",
            address="Số 02 Hoàng Văn Thụ, phường Pleiku, tỉnh Gia Lai",
            license="Giấy phép số 73/GP-BVHTTDL ngày 14/8/2025 của Bộ Văn hóa, Thể thao và Du lịch",
            editor="Tổng biên tập: Trần Quốc Hưng",
            phone="Điện thoại: 0269.3824.234",
            email="baogialai@gmail.com",
        ),
        weather="Pleiku: Trời nắng, chiều tối có mưa dông, 19-28°C",
    ),
    "Thời sự",
    [
        ("Gia Lai: Hơn 2.100 hộ nghèo được hỗ trợ xóa nhà tạm", "2025-08-21T16:40"),
        ("Đường ven biển qua Phù Cát sắp thông tuyến", "2025-08-21T14:15"),
        ("Nông dân Chư Sê trúng mùa hồ tiêu", "2025-08-21T10:02"),
        ("Khai mạc Tuần lễ văn hóa - du lịch Quy Nhơn", "2025-08-20T20:30"),
        ("Pleiku ra quân làm sạch môi trường đô thị", "2025-08-20T15:48"),
    ],
    [
        "Biển Hồ vào mùa nước lên, du khách đổ về check-in",
        "Giá cà phê nhân xô hôm nay tăng 1.500 đồng/kg",
        "Gia Lai có 12 xã đạt chuẩn nông thôn mới nâng cao",
        "Học sinh vùng biên Đức Cơ vui đến trường",
    ],
    ["Sắp xếp đơn vị hành chính", "Xóa nhà tạm, nhà dột nát", "Mùa cà phê"],
)

_BAONGHEAN = _with_links(
    Site(
        name="baonghean",
        title="Báo Nghệ An",
        domain="baonghean.vn",
        template="onecms",
        url_style="onecms",
        slogan="Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Nghệ An",
        sections=(
            Section("Thời sự", "/thoi-su/"),
            Section("Chính trị", "/chinh-tri/"),
            Section("Xây dựng Đảng", "/chinh-tri/xay-dung-dang/", "Chính trị"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Xã hội", "/xa-hoi/"),
            Section("Giáo dục", "/giao-duc/"),
            Section("Miền Tây Nghệ An", "/mien-tay/"),
            Section("Pháp luật", "/phap-luat/"),
        ),
        imprint=Imprint(
            publisher="Báo Nghệ An - Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Nghệ An",
            address="Số 9 Nguyễn Thị Minh Khai, phường Thành Vinh, tỉnh Nghệ An",
            license="Giấy phép số 371/GP-BTTTT ngày 15/7/2022",
            editor="Tổng biên tập: Lê Hồng Phong",
            phone="Điện thoại: 0238.3844.366",
            email="baonghean@gmail.com",
        ),
        weather="Vinh: Có mây, ngày nắng, 27-35°C",
    ),
    "Thời sự",
    [
        ("Nghệ An công bố kết quả chỉ số cải cách hành chính năm 2024", "2025-05-12T17:10"),
        ("Huyện Con Cuông đón nhận bằng công nhận đạt chuẩn nông thôn mới", "2025-05-12T15:32"),
        ("Thí sinh Nghệ An ôn tập nước rút cho kỳ thi tốt nghiệp THPT", "2025-05-12T11:05"),
        ("Cửa Lò sẵn sàng cho mùa du lịch biển", "2025-05-12T09:40"),
        ("Nghệ An triển khai tiêm vắc-xin sởi cho trẻ vùng cao", "2025-05-11T20:18"),
    ],
    [
        "Vinh ra quân lập lại trật tự vỉa hè",
        "Nông dân Yên Thành thu hoạch lúa xuân sớm",
        "Quỳnh Lưu hỗ trợ ngư dân bám biển",
        "Thanh Chương phát triển chè theo chuỗi",
    ],
    ["Đại hội Đảng các cấp", "Khắc phục hậu quả mưa lũ", "Kỳ thi tốt nghiệp THPT"],
)

_BAODANANG = _with_links(
    Site(
        name="baodanang",
        title="Báo Đà Nẵng",
        domain="baodanang.vn",
        template="onecms",
        url_style="onecms",
        slogan="Cơ quan của Đảng bộ thành phố Đà Nẵng",
        sections=(
            Section("Thời sự", "/thoi-su/"),
            Section("Đô thị", "/do-thi/"),
            Section("Giao thông", "/do-thi/giao-thong/", "Đô thị"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Du lịch", "/kinh-te/du-lich/", "Kinh tế"),
            Section("Y tế - Sức khỏe", "/y-te-suc-khoe/"),
            Section("Văn hóa", "/van-hoa/"),
        ),
        imprint=Imprint(
            publisher="Báo và Phát thanh, Truyền hình Đà Nẵng",
            address="Số 40 Hùng Vương, phường Hải Châu, thành phố Đà Nẵng",
            license="Giấy phép số 142/GP-BVHTTDL ngày 30/6/2025",
            editor="Tổng biên tập: Phạm Minh Khoa",
            phone="Điện thoại: 0236.3821.145",
            email="toasoan@baodanang.vn",
        ),
        weather="Đà Nẵng: Nắng nóng, chiều có mưa dông cục bộ, 26-36°C",
    ),
    "Thời sự",
    [
        ("Đà Nẵng khởi công tuyến đường ven sông Tuyên Sơn - Túy Loan", "2024-07-16T18:05"),
        ("Thêm 3 đường bay quốc tế mới đến Đà Nẵng", "2024-07-16T14:22"),
        ("Ngư dân Thọ Quang trúng đậm cá ngừ đầu vụ", "2024-07-16T09:30"),
        ("Công viên APEC mở rộng đón khách từ tháng 8", "2024-07-15T21:12"),
        ("Sinh viên tình nguyện ra quân chiến dịch Mùa hè xanh", "2024-07-15T16:48"),
    ],
    [
        "Bãi biển Mỹ Khê đông nghịt người tắm biển ngày nắng nóng",
        "Đà Nẵng công bố giá đất mới",
        "Lễ hội pháo hoa quốc tế thu hút hàng chục nghìn du khách",
        "Hầm chui nút giao Điện Biên Phủ ngập sau mưa lớn",
    ],
    ["Lễ hội pháo hoa quốc tế", "Phòng chống sốt xuất huyết", "Chỉnh trang đô thị"],
)

_BAOHAIPHONG = _with_links(
    Site(
        name="baohaiphong",
        title="Báo Hải Phòng",
        domain="baohaiphong.vn",
        template="onecms",
        url_style="onecms",
        slogan="Cơ quan của Đảng bộ thành phố Hải Phòng",
        sections=(
            Section("Thời sự", "/thoi-su/"),
            Section("Xây dựng Đảng", "/thoi-su/xay-dung-dang/", "Thời sự"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Cảng biển - Logistics", "/kinh-te/cang-bien/", "Kinh tế"),
            Section("Nông nghiệp", "/kinh-te/nong-nghiep/", "Kinh tế"),
            Section("Xã hội", "/xa-hoi/"),
            Section("Thể thao", "/the-thao/"),
        ),
        imprint=Imprint(
            publisher="Báo và Phát thanh, Truyền hình Hải Phòng",
            address="Số 4 Hoàng Văn Thụ, phường Hồng Bàng, thành phố Hải Phòng",
            license="Giấy phép số 58/GP-BVHTTDL ngày 25/6/2025",
            editor="Tổng biên tập: Đỗ Thanh Tùng",
            phone="Điện thoại: 0225.3842.561",
            email="baohaiphong@haiphong.gov.vn",
        ),
        weather="Hải Phòng: Trời rét, có mưa phùn, 14-19°C",
    ),
    "Thời sự",
    [
        ("Hải Phòng thông qua nghị quyết về đầu tư công trung hạn", "2026-01-15T16:32"),
        ("Cảng Lạch Huyện đón tàu container lớn nhất từ trước đến nay", "2026-01-15T11:20"),
        ("Phố hoa Tết Bính Ngọ sẵn sàng phục vụ người dân", "2026-01-15T08:50"),
        ("Tuyến buýt mới nối trung tâm với Đồ Sơn", "2026-01-14T19:03"),
        ("Kiến An mở rộng không gian đi bộ ven sông Lạch Tray", "2026-01-14T14:27"),
    ],
    [
        "Giá vé tàu xe Tết về quê tăng nhẹ",
        "Hải Phòng dẫn đầu cả nước về thu hút FDI",
        "Đội bóng Hải Phòng thắng đậm trên sân Lạch Tray",
        "Vịnh Lan Hạ lọt top điểm đến đẹp nhất châu Á",
    ],
    ["Đại hội Đảng bộ thành phố", "Phục hồi sau bão số 3", "Hải Phòng - thành phố Cảng"],
)

_BAOQUANGTRI = _with_links(
    Site(
        name="baoquangtri",
        title="Báo Quảng Trị",
        domain="baoquangtri.vn",
        template="tagdiv",
        url_style="tagdiv",
        slogan="Cơ quan của Đảng bộ tỉnh Quảng Trị",
        sections=(
            Section("Chính trị", "/chinh-tri/"),
            Section("Xây dựng Đảng", "/chinh-tri/xay-dung-dang/", "Chính trị"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Xã hội", "/xa-hoi/"),
            Section("Du lịch", "/du-lich/"),
            Section("Khoa học - Công nghệ", "/khoa-hoc-cong-nghe/"),
            Section("Quốc phòng - An ninh", "/quoc-phong-an-ninh/"),
        ),
        imprint=Imprint(
            publisher="Báo và Phát thanh, Truyền hình Quảng Trị",
            address="Số 126 Lý Thường Kiệt, phường Đông Hà, tỉnh Quảng Trị",
            license="Giấy phép số 29/GP-BVHTTDL ngày 20/6/2025",
            editor="Tổng biên tập: Hoàng Văn Tuấn",
            phone="Điện thoại: 0233.3852.542",
            email="toasoan@baoquangtri.vn",
        ),
        weather="Đông Hà: Nhiều mây, có mưa rải rác, 20-25°C",
    ),
    "Chính trị",
    [
        ("Quảng Trị ra mắt Trung tâm phục vụ hành chính công cấp xã", "2025-10-22T17:20"),
        ("Cồn Cỏ đón đoàn công tác thăm, tặng quà quân dân huyện đảo", "2025-10-22T15:03"),
        ("Đồng Hới chuẩn bị Lễ hội hang động Quảng Bình", "2025-10-22T10:41"),
        ("Gio Linh thu hoạch lúa hữu cơ vụ hè thu", "2025-10-21T19:55"),
        ("Khởi công cầu vượt sông Thạch Hãn mới", "2025-10-21T08:35"),
    ],
    [
        "Thành cổ Quảng Trị đón hàng nghìn lượt khách dịp nghỉ lễ",
        "Giá hồ tiêu Cam Lộ tăng cao",
        "Đường Hồ Chí Minh nhánh Tây sạt lở sau mưa lớn",
        "Học sinh Vĩnh Linh giành giải nhất tin học trẻ",
    ],
    ["Sáp nhập tỉnh Quảng Bình - Quảng Trị", "Chuyển đổi số", "Mùa mưa bão"],
)

_BAOHAUGIANG = _with_links(
    Site(
        name="baohaugiang",
        title="Báo Hậu Giang",
        domain="baohaugiang.com.vn",
        template="haugiang",
        url_style="haugiang",
        slogan="Cơ quan của Đảng bộ tỉnh Hậu Giang",
        sections=(
            Section("Chính trị", "/chinh-tri/"),
            Section("Xây dựng Đảng", "/xay-dung-dang/", "Chính trị"),
            Section("Kinh tế", "/kinh-te/"),
            Section("Nông nghiệp", "/nong-nghiep/", "Kinh tế"),
            Section("Xã hội", "/xa-hoi/"),
            Section("Giáo dục", "/giao-duc/"),
            Section("Văn hóa", "/van-hoa/"),
        ),
        imprint=Imprint(
            publisher="Báo Hậu Giang - Cơ quan của Đảng bộ tỉnh Hậu Giang",
            address="Số 3 Trần Hưng Đạo, phường V, thành phố Vị Thanh, tỉnh Hậu Giang",
            license="Giấy phép số 318/GP-BTTTT ngày 21/6/2019",
            editor="Tổng biên tập: Nguyễn Văn Hiếu",
            phone="Điện thoại: 0293.3878.006",
            email="baohaugiang@gmail.com",
        ),
        weather=(
            "Nhiều mây, có mưa, có nơi mưa vừa, mưa to và rải rác có dông. Gió tây nam cấp 3. "
            "Trong cơn dông có khả năng xảy ra lốc, sét và gió giật mạnh."
        ),
    ),
    "Xây dựng Đảng",
    [
        ("Tiếp tục nâng cao chất lượng đào tạo, bồi dưỡng cán bộ", "2024-11-21T09:15"),
        (
            "Trường Chính trị Hậu Giang tham mưu, tư vấn ban hành nhiều chính sách "
            "đi vào cuộc sống",
            "2024-11-21T08:40",
        ),
        ("Khai giảng 2 lớp bồi dưỡng ngạch chuyên viên và tương đương", "2024-11-19T09:32"),
        ("Nghiên cứu thực tế tại Bộ Tư lệnh Quân khu 9", "2024-11-19T09:31"),
        ("Nâng cao chất lượng đối thoại với dân", "2024-11-19T08:13"),
    ],
    [
        "Khánh thành cầu nông thôn Khang Đức trị giá trên 1 tỉ đồng",
        "Bế giảng 11 lớp trung cấp lý luận chính trị",
        "33 học viên hoàn thành bồi dưỡng phương pháp nghiên cứu chính trị",
    ],
    ["Học tập và làm theo Bác", "Chuyển đổi số", "Xây dựng nông thôn mới"],
    {
        "digest": [
            (
                "Điểm tin sáng 24-11: Vì sao nhiều người thi xong nhưng chưa có bằng lái xe ?",
                "2024-11-24T06:00",
                "Cùng những tin tức khác, mời Quý độc giả theo dõi: 2 tượng sư tử đá thành Đồ "
                "Bàn (Bình Định) được công nhận bảo vật quốc gia; Puerto Rico đăng quang Mr "
                "World 2024.",
            ),
            (
                "Ông Lê Tiến Châu tặng cho Hậu Giang 800 triệu đồng thực hiện an sinh xã hội",
                "2024-11-24T05:16",
                "(HG) – Chiều muộn ngày 23-11, ông Trần Văn Huyến, Phó Bí thư Thường trực Tỉnh "
                "ủy, Chủ tịch HĐND tỉnh, tiếp và làm việc với đoàn công tác thành phố Hải Phòng.",
            ),
            (
                "Mô hình lúa chất lượng cao giúp người dân ĐBSCL giảm chi phí, tăng năng suất "
                "và lợi nhuận",
                "2024-11-23T13:29",
                "(HG) - Sáng ngày 23-11, tại thành phố Cần Thơ, Báo Nông nghiệp Việt Nam tổ "
                "chức Diễn đàn về nhân rộng các mô hình lúa chất lượng cao, phát thải thấp.",
            ),
        ]
    },
)

_BAOCANTHO = _with_links(
    Site(
        name="baocantho",
        title="Báo Cần Thơ",
        domain="baocantho.com.vn",
        template="cantho",
        url_style="cantho",
        slogan="Cơ quan của Đảng bộ thành phố Cần Thơ",
        sections=(
            Section("Chính trị", "chinh-tri/"),
            Section("Kinh tế", "kinh-te/"),
            Section("Thị trường", "kinh-te/thi-truong/", "Kinh tế"),
            Section("Nông nghiệp", "kinh-te/nong-nghiep/", "Kinh tế"),
            Section("Xã hội", "xa-hoi/"),
            Section("An sinh xã hội", "xa-hoi/an-sinh/", "Xã hội"),
            Section("Giáo dục", "giao-duc/"),
            Section("Đô thị", "do-thi/"),
        ),
        imprint=Imprint(
            publisher="Báo và Phát thanh, Truyền hình Cần Thơ",
            address="Số 9 Đường 30 Tháng 4, phường Ninh Kiều, thành phố Cần Thơ",
            license="Giấy phép số 112/GP-BVHTTDL ngày 28/6/2025",
            editor="Tổng biên tập: Huỳnh Văn Lộc",
            phone="Điện thoại: 0292.3821.322",
            email="baocantho@baocantho.com.vn",
        ),
        weather="Cần Thơ: Ngày nắng, đêm không mưa, 23-31°C",
    ),
    "Xã hội",
    [
        ("Chợ nổi Cái Răng nhộn nhịp hàng hóa cuối năm", "2026-01-09T10:15"),
        ("Thành phố Cần Thơ công bố 25 nhiệm vụ trọng tâm năm 2026", "2026-01-09T08:02"),
        ("Nông dân Phong Điền thu hoạch dâu Hạ Châu", "2026-01-08T20:40"),
        ("Khánh thành trường tiểu học ở xã Vị Thủy", "2026-01-08T16:55"),
        ("Cầu Cần Thơ 2 hoàn thành thủ tục đầu tư", "2026-01-08T09:30"),
    ],
    [
        "Giá lúa tăng, nông dân phấn khởi",
        "Bến Ninh Kiều rực rỡ đèn hoa đón Tết",
        "Sóc Trăng, Hậu Giang sáp nhập: những điều người dân cần biết",
        "Tuyến cao tốc Châu Đốc - Cần Thơ - Sóc Trăng tăng tốc thi công",
    ],
    ["Tết Nguyên đán Bính Ngọ 2026", "Chính quyền địa phương 2 cấp", "Chuyển đổi số"],
)

SITES: dict[str, Site] = {
    s.name: s
    for s in (
        _BAOHATINH,
        _BAOGIALAI,
        _BAONGHEAN,
        _BAODANANG,
        _BAOHAIPHONG,
        _BAOQUANGTRI,
        _BAOHAUGIANG,
        _BAOCANTHO,
    )
}
"""Every fake outlet by name."""


def get_site(name: str) -> Site:
    """The fake outlet called ``name``; KeyError if none."""
    return SITES[name]
