"""Deterministic synthetic Vietnamese news articles with known near-duplicate ground truth.

Used by the benchmark (``benchmarks/store_dedup.py``), the threshold calibration
(:mod:`crawler.dedup.calibrate`) and the tests. Text is built from common Vietnamese syllables
with a Zipf-like frequency, and about a fifth of each sentence comes from a shared pool of
stock phrases ("Ủy ban nhân dân tỉnh", "theo kế hoạch", …), so unrelated articles overlap a
little as real ones from one outlet do. Lengths follow provincial outlets: a 10–25 word
headline, a 30–70 word sapo, 8–18 paragraphs of 30–90 words.

A *variant* (the near-duplicate share, 10 % by default) copies an earlier article and applies
one or two edits seen in syndication: another sapo with a source line, a dropped paragraph,
a rewritten headline, a few words changed. Every variant changes its body at least a little,
so it is a *near* duplicate, never a byte-exact one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

SYLLABLES = [
    "của",
    "và",
    "các",
    "có",
    "được",
    "trong",
    "là",
    "cho",
    "với",
    "những",
    "người",
    "đã",
    "này",
    "một",
    "không",
    "để",
    "đến",
    "khi",
    "tại",
    "về",
    "nhiều",
    "năm",
    "từ",
    "ra",
    "cũng",
    "như",
    "đó",
    "theo",
    "sẽ",
    "trên",
    "đang",
    "làm",
    "còn",
    "nhưng",
    "vào",
    "việc",
    "công",
    "tác",
    "tỉnh",
    "huyện",
    "xã",
    "thành",
    "phố",
    "nhân",
    "dân",
    "ủy",
    "ban",
    "hội",
    "đồng",
    "phát",
    "triển",
    "kinh",
    "tế",
    "xã",
    "hội",
    "đầu",
    "tư",
    "dự",
    "án",
    "xây",
    "dựng",
    "giao",
    "thông",
    "nông",
    "nghiệp",
    "sản",
    "xuất",
    "thu",
    "hoạch",
    "lúa",
    "gạo",
    "cà",
    "phê",
    "hồ",
    "tiêu",
    "thủy",
    "sản",
    "biển",
    "đảo",
    "du",
    "lịch",
    "văn",
    "hóa",
    "giáo",
    "dục",
    "học",
    "sinh",
    "trường",
    "y",
    "tế",
    "bệnh",
    "viện",
    "sức",
    "khỏe",
    "lãnh",
    "đạo",
    "cán",
    "bộ",
    "đảng",
    "viên",
    "chính",
    "quyền",
    "mặt",
    "trận",
    "đoàn",
    "thanh",
    "niên",
    "phụ",
    "nữ",
    "cựu",
    "chiến",
    "binh",
    "mưa",
    "bão",
    "lũ",
    "lụt",
    "thiên",
    "tai",
    "khắc",
    "phục",
    "hậu",
    "quả",
    "hỗ",
    "trợ",
    "gia",
    "đình",
    "hộ",
    "nghèo",
    "chính",
    "sách",
    "doanh",
    "nghiệp",
    "hợp",
    "tác",
    "đơn",
    "vị",
    "kế",
    "hoạch",
    "mục",
    "tiêu",
    "nhiệm",
    "vụ",
    "giải",
    "pháp",
    "triển",
    "khai",
    "thực",
    "hiện",
    "kết",
    "quả",
    "đánh",
    "giá",
    "kiểm",
    "tra",
    "giám",
    "sát",
    "an",
    "ninh",
    "trật",
    "tự",
    "công",
    "an",
    "quân",
    "đội",
    "biên",
    "phòng",
    "đường",
    "cầu",
    "cảng",
    "điện",
    "nước",
    "môi",
    "trường",
    "rừng",
    "đất",
    "đai",
    "tài",
    "nguyên",
    "khoáng",
    "sản",
    "quy",
    "hoạch",
    "lễ",
    "hội",
    "truyền",
    "thống",
    "di",
    "tích",
    "lịch",
    "sử",
    "nghệ",
    "thuật",
    "thể",
    "thao",
    "bóng",
    "đá",
    "giải",
    "đấu",
    "vận",
    "động",
    "tháng",
    "ngày",
    "tuần",
    "quý",
    "sáng",
    "chiều",
    "tối",
    "hôm",
    "nay",
    "qua",
    "tới",
    "trước",
    "sau",
    "gần",
    "hơn",
    "rất",
    "cao",
    "thấp",
    "mới",
    "cũ",
    "lớn",
    "nhỏ",
    "tốt",
    "đẹp",
    "nhanh",
    "chậm",
    "khó",
    "khăn",
    "thuận",
    "lợi",
    "quan",
    "trọng",
    "cần",
    "thiết",
    "hiệu",
    "quả",
    "tăng",
    "giảm",
    "đạt",
    "vượt",
    "hoàn",
    "thành",
    "tổ",
    "chức",
    "chỉ",
    "đạo",
    "yêu",
    "cầu",
    "đề",
    "nghị",
    "báo",
    "cáo",
    "thông",
    "tin",
    "hội",
    "nghị",
    "họp",
    "bàn",
    "thống",
    "nhất",
    "ký",
    "kết",
    "trao",
    "tặng",
    "khen",
    "thưởng",
    "biểu",
    "dương",
    "tuyên",
    "truyền",
    "người",
    "dân",
    "bà",
    "con",
    "cộng",
    "đồng",
    "thôn",
    "bản",
    "khu",
    "phố",
    "làng",
    "vùng",
    "miền",
    "núi",
    "đồng",
    "bằng",
    "ven",
    "biển",
    "ông",
    "bà",
    "anh",
    "chị",
    "em",
    "cháu",
    "trẻ",
    "em",
    "học",
    "viên",
    "sinh",
    "viên",
    "giáo",
    "viên",
    "bác",
    "sĩ",
    "kỹ",
    "sư",
    "nông",
    "dân",
    "hà",
    "tĩnh",
    "nghệ",
    "an",
    "quảng",
    "trị",
    "đà",
    "nẵng",
    "cần",
    "thơ",
    "hải",
    "phòng",
    "gia",
    "lai",
    "hậu",
    "giang",
    "việt",
    "nam",
    "trung",
    "ương",
    "quốc",
    "gia",
    "quốc",
    "tế",
    "khu",
    "vực",
    "địa",
    "phương",
    "cơ",
    "sở",
    "ngành",
    "cấp",
    "bộ",
    "sở",
    "phòng",
    "ban",
    "một",
    "hai",
    "ba",
    "bốn",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
    "mười",
    "trăm",
    "nghìn",
    "triệu",
    "tỷ",
    "đồng",
    "phần",
    "trăm",
    "ha",
    "tấn",
]

STOCK_PHRASES = (
    "Ủy ban nhân dân tỉnh",
    "theo kế hoạch đã đề ra",
    "trong thời gian tới",
    "phát triển kinh tế xã hội",
    "bảo đảm an ninh trật tự",
    "Ban Thường vụ Tỉnh ủy",
    "các sở ban ngành liên quan",
    "nâng cao đời sống người dân",
    "Hội đồng nhân dân tỉnh",
    "theo báo cáo của",
    "đồng chí Bí thư Tỉnh ủy",
    "trong những năm qua",
    "thực hiện nghị quyết",
    "góp phần quan trọng vào",
    "chính quyền địa phương",
    "tạo điều kiện thuận lợi cho",
    "xây dựng nông thôn mới",
    "chuyển đổi số",
    "đến nay đã có",
    "so với cùng kỳ năm trước",
    "Mặt trận Tổ quốc Việt Nam",
    "cải cách hành chính",
    "phòng chống thiên tai",
    "người dân và doanh nghiệp",
    "đề nghị các địa phương",
    "tăng cường công tác kiểm tra",
    "trên địa bàn tỉnh",
    "dự kiến hoàn thành trong năm",
    "tổng vốn đầu tư",
    "Sở Giáo dục và Đào tạo",
)

OUTLETS = (
    "baohatinh.vn",
    "baonghean.vn",
    "baoquangtri.vn",
    "baodanang.vn",
    "baocantho.com.vn",
    "baohaiphong.vn",
    "baogialai.com.vn",
    "baohaugiang.com.vn",
)

EDITS = ("sapo", "drop_paragraph", "headline", "words")


@dataclass
class SyntheticArticle:
    """One generated article; ``original_url`` is the ground truth for variants."""

    url: str
    outlet: str
    title: str
    sapo: str
    paragraphs: list[str]
    published_at: str
    original_url: str | None = None
    """The article this one is a variant of (None for an original)."""
    edits: tuple[str, ...] = field(default_factory=tuple)
    """The edits applied to make the variant."""

    @property
    def body(self) -> str:
        """Paragraphs joined by newlines, as extraction gives them."""
        return "\n".join(self.paragraphs)


class Generator:
    """Deterministic article stream (same seed, same articles)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        n = len(SYLLABLES)
        # Zipf-like weights: frequent function words first.
        self._weights = [1.0 / (rank + 1) ** 0.9 for rank in range(n)]
        self._cum: list[float] = []
        total = 0.0
        for w in self._weights:
            total += w
            self._cum.append(total)
        self._counter = 0

    def _words(self, count: int) -> list[str]:
        return self.rng.choices(SYLLABLES, cum_weights=self._cum, k=count)

    def sentence(self, length: int) -> str:
        """A sentence of about ``length`` words, capitalised, a fifth from stock phrases."""
        out: list[str] = []
        while len(out) < length:
            if self.rng.random() < 0.06:
                out.extend(self.rng.choice(STOCK_PHRASES).split())
            else:
                out.extend(self._words(self.rng.randint(2, 6)))
        text = " ".join(out[:length])
        return text[:1].upper() + text[1:] + "."

    def paragraph(self) -> str:
        """30–90 words in two to five sentences."""
        total = self.rng.randint(30, 90)
        parts: list[str] = []
        while total > 0:
            n = min(total, self.rng.randint(10, 25))
            parts.append(self.sentence(n))
            total -= n
        return " ".join(parts)

    def original(self) -> SyntheticArticle:
        """A fresh article on a random outlet."""
        self._counter += 1
        outlet = self.rng.choice(OUTLETS)
        title = self.sentence(self.rng.randint(10, 25)).rstrip(".")
        when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=7 * self._counter)
        return SyntheticArticle(
            url=f"https://{outlet}/tin-{self._counter}-post{self._counter}.html",
            outlet=outlet,
            title=title,
            sapo=self.sentence(self.rng.randint(30, 70)),
            paragraphs=[self.paragraph() for _ in range(self.rng.randint(8, 18))],
            published_at=when.astimezone().isoformat(),
        )

    def variant(
        self, base: SyntheticArticle, edits: tuple[str, ...] | None = None
    ) -> SyntheticArticle:
        """An edited copy of ``base`` on another URL (usually another outlet)."""
        self._counter += 1
        if edits is None:
            k = 1 if self.rng.random() < 0.6 else 2
            edits = tuple(sorted(self.rng.sample(EDITS, k)))
        outlet = self.rng.choice(OUTLETS)
        title, sapo, paragraphs = base.title, base.sapo, list(base.paragraphs)
        body_changed = False
        for edit in edits:
            if edit == "sapo":
                sapo = self.sentence(self.rng.randint(30, 70))
                paragraphs.append(f"Theo {base.outlet}")
                body_changed = True
            elif edit == "drop_paragraph" and len(paragraphs) > 3:
                del paragraphs[self.rng.randrange(1, len(paragraphs))]
                body_changed = True
            elif edit == "headline":
                title = self.sentence(self.rng.randint(10, 25)).rstrip(".")
            elif edit == "words":
                paragraphs = [self._edit_words(p, 0.02) for p in paragraphs]
                body_changed = True
        if not body_changed:
            # A re-published copy always differs a little: the outlet's own credit line.
            paragraphs.append(f"PV {outlet}")
        return SyntheticArticle(
            url=f"https://{outlet}/ban-tin-{self._counter}-post{self._counter}.html",
            outlet=outlet,
            title=title,
            sapo=sapo,
            paragraphs=paragraphs,
            published_at=base.published_at,
            original_url=base.url,
            edits=edits,
        )

    def _edit_words(self, paragraph: str, rate: float) -> str:
        words = paragraph.split()
        for i in range(len(words)):
            if self.rng.random() < rate:
                words[i] = self._words(1)[0]
        return " ".join(words)

    def stream(
        self, n: int, near_dup_ratio: float = 0.1, window: int = 2000
    ) -> Iterator[SyntheticArticle]:
        """``n`` articles, about ``near_dup_ratio`` of them variants of a recent original."""
        recent: list[SyntheticArticle] = []
        for _ in range(n):
            if recent and self.rng.random() < near_dup_ratio:
                yield self.variant(self.rng.choice(recent))
                continue
            article = self.original()
            recent.append(article)
            if len(recent) > window:
                recent.pop(self.rng.randrange(len(recent)))
            yield article
