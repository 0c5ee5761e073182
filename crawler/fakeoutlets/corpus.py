"""A deterministic article corpus per fake outlet: the fixture records plus synthetic articles.

Every outlet holds its three hand-written fixture records (tests/fixtures/sources) and ``N``
synthetic articles generated with a seeded RNG: unique titles, a sapo, 4-12 paragraphs of
sentences recombined from the fixtures' paragraphs (numbers re-drawn, so two articles share
almost no word 5-shingles), byline and authors, publication and modification times (+07:00)
spread from January 2019 to the corpus's ``now`` (denser in the last days), a category from
the outlet's sections, tags and related links. URLs follow the outlet's URL scheme and match
its crawler profile's article patterns.

The one syndicated story is the fixture pair Báo Hậu Giang / Báo Cần Thơ (same paragraphs,
another headline and sapo): :attr:`Corpus.syndicated_pairs`.

A corpus is mutable for incremental-crawl tests (:meth:`Corpus.add_articles`,
:meth:`Corpus.update_article`); every method is thread-safe and a running server sees
changes at once.
"""

from __future__ import annotations

import math
import random
import re
import threading
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.discovery.urldates import url_day, url_month
from crawler.fakeoutlets.cases import page_options
from crawler.fakeoutlets.options import DEFAULT_OPTIONS, PageOptions
from crawler.fakeoutlets.sites import SITES, VN_TZ, Section, Site, slug_of, stable_id
from crawler.fakeoutlets.source import ArticleSource, Block, RelatedLink, load_sources
from crawler.outlets import OutletProfile, get_profile

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

FIXTURE_SOURCES = Path(__file__).resolve().parent / "sources"
"""The fixture source records: ``sources`` links to ``tests/fixtures/sources`` in a checkout and
is installed with the package (package data), so ``crawler demo`` works from ``pip install .``."""
"""Where the fixture source records live."""

FIXED_NOW = datetime(2026, 2, 10, 12, 0, tzinfo=VN_TZ)
"""The corpus's default "now": after every fixture record, so runs are reproducible."""

EARLIEST = datetime(2019, 1, 1, 6, 0, tzinfo=VN_TZ)
"""The oldest synthetic publication time."""

DEFAULT_ARTICLES = 40
"""Synthetic articles per outlet by default."""

MAX_ARTICLES = 5000
"""Upper bound of synthetic articles per outlet (title space and memory)."""

SYNDICATED: tuple[tuple[str, str], tuple[str, str]] = (
    ("baohaugiang", "nha-o-ho-ngheo"),
    ("baocantho", "nha-o-ho-ngheo-hau-giang"),
)
"""The fixture pair that is one story published by two outlets."""

SECTION_NAMES: dict[str, str] = {
    "chinh-tri": "Chính trị",
    "thoi-su": "Thời sự",
    "xa-hoi": "Xã hội",
    "kinh-te": "Kinh tế",
}
"""Names of listing sections a profile names but the fake site's menu lacks."""


# --------------------------------------------------------------------------- records


class Entry:
    """One article of the corpus: its record, page options and where it is served.

    A synthetic article's text (sapo, body, byline) is generated on first use from its own
    seed, so building a large corpus only draws titles, URLs and dates.
    """

    __slots__ = (
        "_factory",
        "_sapo",
        "_source",
        "category",
        "modified",
        "options",
        "outlet",
        "path",
        "published",
        "synthetic",
        "title",
        "url",
    )

    def __init__(
        self,
        source: ArticleSource | None = None,
        options: PageOptions = DEFAULT_OPTIONS,
        synthetic: bool = False,
        *,
        factory: _Factory | None = None,
    ) -> None:
        self._source = source
        self._factory = factory
        self._sapo: str | None = None
        self.options = options
        self.synthetic = synthetic
        if source is not None:
            self.outlet = source.outlet
            self.url = source.canonical_url
            self.title = source.title
            self.category = source.category
            self.published = source.published
            self.modified = source.modified
        elif factory is not None:
            self.outlet = factory.outlet
            self.url = factory.url
            self.title = factory.title
            self.category = factory.category
            self.published = factory.published
            self.modified = factory.modified
        else:
            raise ValueError("an entry needs a source or a factory")
        self.path = _path_of(self.url)

    @property
    def source(self) -> ArticleSource:
        """The full record (generated on first use for synthetic articles)."""
        source = self._source
        if source is None:
            assert self._factory is not None
            source = self._factory.build()
            self._source = source
        return source

    @property
    def sapo(self) -> str | None:
        """The lead (cheaper than :attr:`source` for a synthetic article)."""
        if self._source is not None:
            return self._source.sapo
        if self._sapo is None:
            assert self._factory is not None
            self._sapo = self._factory.sapo()
        return self._sapo

    @property
    def tags(self) -> tuple[str, ...]:
        """The article's tags."""
        return self._factory.tags if self._source is None and self._factory else self.source.tags

    @property
    def lastmod(self) -> datetime:
        """Last modification (publication when never modified): the sitemap ``lastmod``."""
        return self.modified or self.published

    def with_source(self, source: ArticleSource) -> Entry:
        """The same article with another record (an edit)."""
        return Entry(source, self.options, self.synthetic)

    def __repr__(self) -> str:
        return f"Entry({self.url!r})"


def _path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def _sort_key(entry: Entry) -> tuple[datetime, str]:
    """Listing order: publication time, then URL."""
    return (entry.published, entry.url)


# --------------------------------------------------------------------------- text pools

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“(])")
_SMALL_NUMBER = re.compile(r"(?<![\d/.,:-])\d{2,3}(?![\d/.,:%-])")
_STOP_PREFIXES = ("đọc thêm", "tin liên quan", "tin mới", "xem thêm", "bài liên quan", "có thể")


_LOWS = {1: 1, 2: 10, 3: 100}


def _distinct(rng: random.Random, size: int, count: int) -> list[int]:
    """``count`` distinct indexes below ``size`` (fast ``rng.sample`` for small counts)."""
    draw = rng.random
    seen: set[int] = set()
    out: list[int] = []
    while len(out) < count:
        index = int(draw() * size)
        if index not in seen:
            seen.add(index)
            out.append(index)
    return out


@dataclass(frozen=True)
class _Sentence:
    """A pool sentence cut at its two- and three-digit numbers (re-drawn on every use)."""

    parts: tuple[str, ...]
    """Text pieces; a number goes between each consecutive two."""
    digits: tuple[int, ...]
    """Digit count of each number."""

    def render(self, rng: random.Random) -> str:
        if not self.digits:
            return self.parts[0]
        draw = rng.random
        out = [self.parts[0]]
        for digits, tail in zip(self.digits, self.parts[1:], strict=True):
            low = _LOWS[digits]
            out.append(str(low + int(draw() * 9 * low)))
            out.append(tail)
        return "".join(out)


def _cut(sentence: str) -> _Sentence:
    parts: list[str] = []
    digits: list[int] = []
    last = 0
    for match in _SMALL_NUMBER.finditer(sentence):
        parts.append(sentence[last : match.start()])
        digits.append(len(match.group()))
        last = match.end()
    parts.append(sentence[last:])
    return _Sentence(tuple(parts), tuple(digits))


@dataclass(frozen=True)
class _Pools:
    sentences: tuple[_Sentence, ...]
    """Opening clauses (a sentence up to its first comma, or a whole short sentence)."""
    tails: tuple[_Sentence, ...]
    """Later clauses, without the final full stop."""
    captions: tuple[str, ...]
    headings: tuple[str, ...]
    authors: tuple[str, ...]
    tags: dict[str, tuple[str, ...]]
    datelines: dict[str, str | None]
    image_hosts: dict[str, str]


@cache
def fixture_sources(root: Path = FIXTURE_SOURCES) -> tuple[ArticleSource, ...]:
    """The fixture records (read once); ``FileNotFoundError`` when there are none (the text
    pools of the synthetic articles are drawn from them)."""
    sources = tuple(load_sources(root))
    if not sources:
        raise FileNotFoundError(f"no fixture source records under {root}")
    return sources


def _sentences_of(text: str) -> list[str]:
    out: list[str] = []
    for part in _SENTENCE_SPLIT.split(text):
        part = part.strip()
        if len(part.split()) < 8 or part.lower().startswith(_STOP_PREFIXES):
            continue
        if not part.endswith((".", "!", "?", "…", '"', "”")):
            continue
        out.append(part)
    return out


@cache
def _pools(root: Path = FIXTURE_SOURCES) -> _Pools:
    sources = fixture_sources(root)
    sentences: list[str] = []
    captions: list[str] = []
    headings: list[str] = []
    authors: list[str] = []
    tags: dict[str, list[str]] = {}
    datelines: dict[str, list[str]] = {}
    hosts: dict[str, str] = {}
    for src in sources:
        for block in src.blocks:
            if block.type in ("p", "quote"):
                sentences.extend(_sentences_of(block.text))
            elif block.type in ("h2", "h3") and len(block.text.split()) >= 3:
                headings.append(block.text)
            elif block.type == "image":
                if block.caption:
                    captions.append(block.caption)
                hosts.setdefault(src.outlet, urlsplit(block.src).netloc)
        if src.sapo:
            sentences.extend(_sentences_of(src.sapo))
        authors.extend(a for a in src.authors if " " in a)
        tags.setdefault(src.outlet, []).extend(src.tags)
        if src.dateline:
            datelines.setdefault(src.outlet, []).append(src.dateline)
    starts: dict[str, str] = {}
    tails: dict[str, str] = {}
    for sentence in dict.fromkeys(sentences):
        clauses = [c.strip() for c in sentence.rstrip(".!?…").split(", ")]
        if len(clauses[0].split()) >= 4:
            starts.setdefault(" ".join(clauses[0].split()[:5]), clauses[0])
        for clause in clauses[1:]:
            if len(clause.split()) >= 4 and clause[:1].islower():
                tails.setdefault(" ".join(clause.split()[:5]), clause)
    return _Pools(
        sentences=tuple(_cut(s) for s in starts.values()),
        tails=tuple(_cut(s) for s in tails.values()),
        captions=tuple(dict.fromkeys(captions)),
        headings=tuple(dict.fromkeys(headings)),
        authors=tuple(dict.fromkeys(authors)),
        tags={k: tuple(dict.fromkeys(v)) for k, v in tags.items()},
        datelines={k: max(set(v), key=v.count) for k, v in datelines.items()},
        image_hosts=hosts,
    )


# Headline fragments: "<place> <action> <object> <suffix>".
_PLACES: dict[str, tuple[str, ...]] = {
    "baohatinh": ("Hà Tĩnh", "Can Lộc", "Kỳ Anh", "Hương Sơn", "Thạch Hà", "Cẩm Xuyên",
                  "Nghi Xuân", "Đức Thọ", "Vũ Quang", "Hồng Lĩnh", "Lộc Hà", "Hương Khê"),
    "baogialai": ("Gia Lai", "Pleiku", "Quy Nhơn", "Chư Sê", "Đức Cơ", "An Khê", "Phù Cát",
                  "Chư Prông", "Ia Grai", "Kbang", "Hoài Nhơn", "Tây Sơn"),
    "baonghean": ("Nghệ An", "Vinh", "Cửa Lò", "Kỳ Sơn", "Con Cuông", "Yên Thành",
                  "Quỳnh Lưu", "Thanh Chương", "Diễn Châu", "Nam Đàn", "Tương Dương", "Đô Lương"),
    "baodanang": ("Đà Nẵng", "Hải Châu", "Sơn Trà", "Liên Chiểu", "Hòa Vang", "Ngũ Hành Sơn",
                  "Cẩm Lệ", "Thanh Khê", "Hội An", "Tam Kỳ", "Điện Bàn", "Núi Thành"),
    "baohaiphong": ("Hải Phòng", "Kiến An", "Đồ Sơn", "Thủy Nguyên", "An Dương", "Cát Hải",
                    "Tiên Lãng", "Vĩnh Bảo", "Lê Chân", "Ngô Quyền", "Hải An", "Dương Kinh"),
    "baoquangtri": ("Quảng Trị", "Đông Hà", "Gio Linh", "Vĩnh Linh", "Cam Lộ", "Hải Lăng",
                    "Triệu Phong", "Đồng Hới", "Lệ Thủy", "Bố Trạch", "Cồn Cỏ", "Hướng Hóa"),
    "baohaugiang": ("Hậu Giang", "Vị Thanh", "Long Mỹ", "Ngã Bảy", "Châu Thành", "Phụng Hiệp",
                    "Vị Thủy", "Châu Thành A", "Hỏa Lựu", "Tân Phú Thạnh", "Long Bình",
                    "Vĩnh Tường"),
    "baocantho": ("Cần Thơ", "Ninh Kiều", "Cái Răng", "Bình Thủy", "Ô Môn", "Thốt Nốt",
                  "Phong Điền", "Cờ Đỏ", "Thới Lai", "Vĩnh Thạnh", "Sóc Trăng", "Vị Thanh"),
}  # fmt: skip

_ACTIONS: tuple[str, ...] = (
    "triển khai kế hoạch", "đẩy mạnh", "tập trung tháo gỡ khó khăn về", "sơ kết",
    "tổng kết", "ra quân", "hỗ trợ người dân về", "kiểm tra tiến độ", "nâng cao hiệu quả",
    "ưu tiên nguồn lực cho", "đối thoại với doanh nghiệp về", "khảo sát thực tế",
    "ký kết hợp tác về", "phát động phong trào", "chấn chỉnh", "hoàn thành sớm",
    "bàn giải pháp", "kiện toàn", "giám sát việc thực hiện", "tháo gỡ vướng mắc về",
    "công bố kết quả", "khởi động chương trình", "đánh giá", "nhân rộng mô hình",
    "đầu tư hạ tầng", "cải thiện", "rà soát", "tăng tốc",
)  # fmt: skip

_OBJECTS: tuple[str, ...] = (
    "xây dựng nông thôn mới", "chuyển đổi số", "giải phóng mặt bằng", "cải cách hành chính",
    "phòng chống thiên tai", "giảm nghèo bền vững", "bảo vệ môi trường", "an toàn giao thông",
    "tiêm chủng mở rộng", "thu hút đầu tư", "phát triển du lịch cộng đồng", "hợp tác xã",
    "sản xuất lúa hữu cơ", "nhà ở xã hội", "giáo dục vùng khó", "bảo hiểm y tế",
    "công tác cán bộ", "sinh hoạt chi bộ", "khởi nghiệp sáng tạo", "kinh tế biển",
    "chăn nuôi an toàn sinh học", "nước sạch nông thôn", "dịch vụ công trực tuyến",
    "đào tạo nghề", "phòng cháy chữa cháy", "hạ tầng khu công nghiệp", "văn hóa cơ sở",
    "thể thao quần chúng", "an sinh xã hội", "tín dụng chính sách",
)  # fmt: skip

_SUFFIXES: tuple[str, ...] = (
    "", "", "", "năm {year}", "giai đoạn {year}-{next}", "{months} tháng đầu năm {year}",
    "quý {quarter}/{year}", "trên địa bàn", "ở các xã vùng sâu", "cho {count} hộ dân",
    "với {count} tỉ đồng", "tại {count} thôn, bản",
)  # fmt: skip

_BYLINE_FORMS: tuple[str, ...] = ("{a}", "{a}", "{a}", "Bài, ảnh: {A}", "{a} - {b}", "{A}")


# --------------------------------------------------------------------------- sections


def _norm_path(path: str) -> str:
    return "/" + path.lstrip("/")


def listing_sections(site: Site, profile: OutletProfile) -> list[Section]:
    """Every section an outlet has: its menu sections plus those its profile lists."""
    sections = list(site.sections)
    known = {_norm_path(s.path) for s in sections}
    for url in profile.listings:
        path = _norm_path(urlsplit(url).path)
        if path in known:
            continue
        slug = path.strip("/").split("/")[-1]
        sections.append(Section(SECTION_NAMES.get(slug, slug.replace("-", " ").title()), path))
        known.add(path)
    return sections


def section_of_path(site: Site, profile: OutletProfile, path: str) -> Section | None:
    """The section whose listing is ``path`` (the site's menu URL or the profile's form)."""
    wanted = _norm_path(path)
    for sec in listing_sections(site, profile):
        forms = {_norm_path(sec.path), _norm_path(urlsplit(site.section_url(sec)).path)}
        if wanted in forms:
            return sec
    return None


def in_section(site: Site, category: str, section: Section) -> bool:
    """Whether an article of ``category`` is listed on ``section``'s page."""
    return any(s.name == section.name for s in site.breadcrumb(category))


# --------------------------------------------------------------------------- URLs


@cache
def _token_slug(token: str) -> str:
    return slug_of(token)


def fast_slug(title: str) -> str:
    """``slug_of(title)``, word by word through a cache (slugify is slow)."""
    return "-".join(s for s in (_token_slug(t) for t in title.split()) if s)


def article_url(site: Site, title: str, slug: str, section: str, when: datetime) -> str:
    """:meth:`Site.article_url` with a precomputed slug (same URL scheme)."""
    path = site.section(section).path
    style = site.url_style
    if style == "post":
        return site.absolute(f"/{slug}-post{stable_id(title, 6)}.html")
    if style == "onecms":
        return site.absolute(f"/{slug}-{stable_id(title, 8)}.html")
    if style == "tagdiv":
        hex_id = format(zlib.crc32(title.encode("utf-8")), "08x")[:7]
        return site.absolute(f"{path}{when:%Y%m}/{slug}-{hex_id}/")
    if style == "haugiang":
        return site.absolute(f"{path.rstrip('/')}/{slug}-{stable_id(title, 6)}.html")
    return site.absolute(f"/{slug}-a{stable_id(title, 6)}.html")


# --------------------------------------------------------------------------- generator


def _ceil_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(minutes=1)


def real_now() -> datetime:
    """The wall-clock time in Vietnam, rounded up to the minute (what pages can print)."""
    return _ceil_minute(datetime.now(VN_TZ))


@dataclass(frozen=True)
class _Factory:
    """What a synthetic article's text is drawn from: its own seed and its fixed fields."""

    gen: _Generator
    seed: int
    case: str
    url: str
    title: str
    category: str
    published: datetime
    modified: datetime | None
    tags: tuple[str, ...]
    related: tuple[Entry, ...]
    jsonld: bool

    @property
    def outlet(self) -> str:
        return self.gen.outlet

    def sapo(self) -> str:
        return self.gen.paragraphs(random.Random(self.seed ^ 0x5A90), 1)[0]

    def build(self) -> ArticleSource:
        gen = self.gen
        rng = random.Random(self.seed)
        count = rng.randint(4, 12)
        blocks: list[Block] = [Block("p", t) for t in gen.paragraphs(rng, count)]
        pools = gen.pools
        if rng.random() < 0.6:
            stamp = f"{self.published:%Y/%m/%d}"
            src = f"https://{gen.image_host}/images/{stamp}/{fast_slug(self.title)[:40]}-1.jpg"
            blocks.insert(1, Block("image", src=src, caption=rng.choice(pools.captions)))
        if count >= 8 and pools.headings and rng.random() < 0.4:
            blocks.insert(len(blocks) // 2 + 1, Block("h2", rng.choice(pools.headings)))
        byline, authors = gen.byline(rng)
        links = tuple(RelatedLink(e.title, e.url, e.sapo) for e in self.related)
        return ArticleSource(
            outlet=gen.outlet,
            case=self.case,
            url=self.url,
            canonical_url=self.url,
            title=self.title,
            dateline=gen.dateline,
            sapo=self.sapo(),
            blocks=tuple(blocks),
            byline=byline,
            authors=authors,
            published_at=self.published.isoformat(),
            modified_at=self.modified.isoformat() if self.modified else None,
            category=self.category,
            tags=self.tags,
            jsonld=self.jsonld,
            related=links,
        )


class _Generator:
    """Synthetic articles of one outlet, drawn from one seeded RNG."""

    def __init__(self, outlet: str, seed: int, pools: _Pools) -> None:
        self.outlet = outlet
        self.site = SITES[outlet]
        self.profile = get_profile(outlet)
        self.rng = random.Random(f"{seed}:{outlet}")
        self.pools = pools
        self.sections = listing_sections(self.site, self.profile)
        self.titles: set[str] = set()
        self.urls: set[str] = set()
        self.serial = 0
        self.dateline = pools.datelines.get(outlet)
        tags = pools.tags.get(outlet, ()) + tuple(e.title for e in self.site.events)
        self.tags = tuple({t.casefold(): t for t in reversed(tags)}.values())[::-1]
        self.image_host = pools.image_hosts.get(outlet, f"cdn.{self.site.domain}")

    def reserve(self, entries: Iterable[Entry]) -> None:
        """Never reuse the titles and URLs of existing articles."""
        for entry in entries:
            self.titles.add(entry.source.title)
            self.urls.add(entry.url)

    def _title(self, when: datetime) -> str:
        rng = self.rng
        for _ in range(200):
            place = rng.choice(_PLACES[self.outlet])
            suffix = rng.choice(_SUFFIXES).format(
                year=when.year,
                next=when.year + rng.choice((1, 2, 5)),
                months=rng.choice((3, 6, 9)),
                quarter=rng.choice(("I", "II", "III", "IV")),
                count=rng.randrange(12, 980),
            )
            words = [place, rng.choice(_ACTIONS), rng.choice(_OBJECTS), suffix]
            title = " ".join(w for w in words if w)
            if title not in self.titles:
                return title
        self.serial += 1
        return f"{self.site.title} thông tin số {self.serial} năm {when.year}"

    def _url(self, title: str, category: str, when: datetime) -> str | None:
        site = self.site
        candidates = [category, site.breadcrumb(category)[0].name]
        slug = fast_slug(title)
        for name in candidates:
            url = article_url(site, title, slug, name, when)
            path = _path_of(url)
            if not self.profile.is_article_url(path) or url in self.urls:
                continue
            # An id that reads as a date would mislead the crawler's URL-date filter.
            day = url_day(path)
            month = url_month(path) if day is None else None
            if day is not None or (month is not None and month != (when.year, when.month)):
                continue
            return url
        return None

    def paragraphs(self, rng: random.Random, count: int) -> list[str]:
        """``count`` paragraphs of one to three pool sentences, numbers re-drawn."""
        draw = rng.random
        sizes = [(1, 2, 2, 3)[int(draw() * 4)] for _ in range(count)]
        pool = self.pools.sentences
        picks = _distinct(rng, len(pool), sum(sizes))
        out: list[str] = []
        at = 0
        for size in sizes:
            out.append(" ".join([pool[i].render(rng) for i in picks[at : at + size]]))
            at += size
        return out

    def byline(self, rng: random.Random) -> tuple[str, tuple[str, ...]]:
        """A byline as printed and the author names it credits."""
        first, second = rng.sample(self.pools.authors, 2)
        forms = _BYLINE_FORMS
        if self.site.template == "tagdiv":  # the theme credits one author
            forms = tuple(f for f in forms if "{b}" not in f)
        form = rng.choice(forms)
        byline = form.format(a=first, A=first.upper(), b=second)
        authors = (first, second) if "{b}" in form else (first,)
        return byline, authors

    def article(
        self,
        when: datetime,
        related: Sequence[Entry] = (),
        modified: datetime | None = None,
        category: str | None = None,
        never_modified: bool = False,
        latest: datetime | None = None,
    ) -> Entry:
        """One synthetic article published at ``when`` (its text is drawn on first use).

        A modification is never later than ``latest`` (the corpus' "now"): a site does not
        announce edits from the future."""
        rng = self.rng
        self.serial += 1
        section = category or self.sections[int(rng.random() * len(self.sections))].name
        title = self._title(when)
        url = self._url(title, section, when)
        while url is None:
            self.titles.add(title)
            title = self._title(when)
            url = self._url(title, section, when)
        self.titles.add(title)
        self.urls.add(url)
        if modified is None and not never_modified and rng.random() < 0.7:
            modified = when + timedelta(minutes=5 + int(rng.random() * 600))
            if latest is not None and modified > latest:
                modified = None if latest <= when else latest
        picks = _distinct(rng, len(self.tags), 2 + int(rng.random() * 3))
        factory = _Factory(
            gen=self,
            seed=rng.getrandbits(64),
            case=f"syn-{self.serial:05d}",
            url=url,
            title=title,
            category=section,
            published=when,
            modified=modified,
            tags=tuple(self.tags[i] for i in picks),
            related=tuple(related[: 2 + int(rng.random() * 2)]),
            jsonld=rng.random() < 0.8,
        )
        return Entry(None, DEFAULT_OPTIONS, True, factory=factory)

    def schedule(self, count: int, now: datetime) -> list[datetime]:
        """``count`` publication times: a tenth in the last three days, the rest since 2019."""
        rng = self.rng
        recent = min(count, max(2, count // 10))
        start = EARLIEST.timestamp()
        cutoff = (now - timedelta(days=3)).timestamp()
        span = max(cutoff - start, 1.0)
        times: list[datetime] = []
        for i in range(count):
            if i < recent:
                moment = now.timestamp() - rng.uniform(0.02, 3.0) * 86400
            else:
                slot = (i - recent + rng.random()) / max(count - recent, 1)
                moment = start + slot * span
            times.append(datetime.fromtimestamp(math.floor(moment / 60) * 60, VN_TZ))
        return sorted(times)


# --------------------------------------------------------------------------- corpus


class Corpus:
    """Articles of every fake outlet: fixtures plus seeded synthetic ones.

    ``articles_per_outlet`` synthetic articles per outlet (0 … :data:`MAX_ARTICLES`);
    ``now`` is the newest publication time synthetic articles get (default
    :data:`FIXED_NOW`; pass the wall-clock time for crawls whose window is "now").
    """

    def __init__(
        self,
        articles_per_outlet: int = DEFAULT_ARTICLES,
        *,
        seed: int = 20260210,
        now: datetime | None = None,
        outlets: Iterable[str] | None = None,
        fixtures_root: Path = FIXTURE_SOURCES,
    ) -> None:
        if not 0 <= articles_per_outlet <= MAX_ARTICLES:
            raise ValueError(f"articles_per_outlet must be within 0..{MAX_ARTICLES}")
        self.now = now or FIXED_NOW
        self.seed = seed
        self.outlets: tuple[str, ...] = tuple(outlets or SITES)
        self._lock = threading.RLock()
        self._version = 0
        self._pools = _pools(fixtures_root)
        self._by_path: dict[str, dict[str, Entry]] = {o: {} for o in self.outlets}
        self._sorted: dict[str, list[Entry]] = {}
        self._generators: dict[str, _Generator] = {}
        for source in fixture_sources(fixtures_root):
            if source.outlet in self._by_path:
                entry = Entry(source, page_options(source.outlet, source.case), False)
                self._by_path[source.outlet][entry.path] = entry
        # No edit is announced later than the corpus' now, nor than the wall clock.
        latest = min(self.now, datetime.now(VN_TZ))
        for outlet in self.outlets:
            gen = _Generator(outlet, seed, self._pools)
            gen.reserve(self._by_path[outlet].values())
            self._generators[outlet] = gen
            made: list[Entry] = []
            for when in gen.schedule(articles_per_outlet, self.now):
                entry = gen.article(when, related=made[-3:][::-1], latest=latest)
                made.append(entry)
                self._by_path[outlet][entry.path] = entry
        pairs = []
        (out_a, case_a), (out_b, case_b) = SYNDICATED
        if out_a in self._by_path and out_b in self._by_path:
            a = self.fixture(out_a, case_a)
            b = self.fixture(out_b, case_b)
            pairs.append((a.url, b.url))
        self.syndicated_pairs: list[tuple[str, str]] = pairs
        """``(url on one outlet, url on the other)`` of every story published twice."""

    # --- reading ----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Incremented by every change."""
        return self._version

    @property
    def lock(self) -> threading.RLock:
        """The lock guarding the corpus (re-entrant)."""
        return self._lock

    def site(self, outlet: str) -> Site:
        """The fake site of an outlet."""
        return SITES[outlet]

    def entries(self, outlet: str) -> list[Entry]:
        """Every article of an outlet, newest first (a snapshot)."""
        with self._lock:
            cached = self._sorted.get(outlet)
            if cached is None:
                cached = sorted(self._by_path[outlet].values(), key=_sort_key, reverse=True)
                self._sorted[outlet] = cached
            return cached

    def all_entries(self) -> list[Entry]:
        """Every article of every outlet (outlet order, newest first within one)."""
        return [e for o in self.outlets for e in self.entries(o)]

    def lookup(self, outlet: str, path: str) -> Entry | None:
        """The article an outlet serves at ``path`` (query ignored), or None."""
        with self._lock:
            return self._by_path[outlet].get(path)

    def get(self, url: str) -> Entry | None:
        """The article at a URL (tracking parameters and the rest of the query ignored)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for outlet in self.outlets:
            if SITES[outlet].domain == host:
                return self.lookup(outlet, parts.path or "/")
        return None

    def fixture(self, outlet: str, case: str) -> Entry:
        """The fixture article ``case`` of an outlet."""
        with self._lock:
            for entry in self._by_path[outlet].values():
                if not entry.synthetic and entry.source.case == case:
                    return entry
        raise KeyError(f"{outlet}/{case}")

    def fixtures(self, outlet: str | None = None) -> list[Entry]:
        """The fixture articles (of one outlet or all)."""
        outlets = [outlet] if outlet else self.outlets
        return [e for o in outlets for e in self.entries(o) if not e.synthetic]

    def synthetic(self, outlet: str | None = None) -> list[Entry]:
        """The synthetic articles (of one outlet or all), newest first per outlet."""
        outlets = [outlet] if outlet else self.outlets
        return [e for o in outlets for e in self.entries(o) if e.synthetic]

    def articles(self, outlet: str | None = None) -> list[ArticleSource]:
        """Records of every article (of one outlet or all)."""
        outlets = [outlet] if outlet else self.outlets
        return [e.source for o in outlets for e in self.entries(o)]

    def urls(self, outlet: str | None = None) -> list[str]:
        """Canonical URLs of every article (of one outlet or all)."""
        outlets = [outlet] if outlet else self.outlets
        return [e.url for o in outlets for e in self.entries(o)]

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._by_path.values())

    # --- changing ---------------------------------------------------------------------

    def _changed(self, outlet: str) -> None:
        self._sorted.pop(outlet, None)
        self._version += 1

    def add_articles(
        self,
        outlet: str,
        n: int,
        published_at: datetime | str | None = None,
        category: str | None = None,
    ) -> list[ArticleSource]:
        """Publish ``n`` new synthetic articles on ``outlet``; returns their records.

        They are published at ``published_at`` (default: the wall-clock minute, rounded up,
        so a crawl that started before the call counts them as new)."""
        when = published_at or real_now()
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if when.tzinfo is None:
            when = when.replace(tzinfo=VN_TZ)
        with self._lock:
            gen = self._generators[outlet]
            newest = [e for e in self.entries(outlet) if e.synthetic][:3]
            made: list[Entry] = []
            for _ in range(n):
                entry = gen.article(when, related=newest, category=category, never_modified=True)
                self._by_path[outlet][entry.path] = entry
                made.append(entry)
            self._changed(outlet)
        return [e.source for e in made]

    def update_article(
        self,
        url: str,
        *,
        text: str | None = None,
        paragraph: int | None = None,
        modified_at: datetime | str | None = None,
        title: str | None = None,
    ) -> ArticleSource:
        """Edit an article: replace one paragraph and bump ``modified_at``; returns the record.

        ``paragraph`` is the index among the paragraphs (default: the last); ``text`` the new
        paragraph (default: fresh sentences); ``modified_at`` defaults to the wall-clock
        minute, rounded up, and is never earlier than a minute after the old lastmod."""
        with self._lock:
            entry = self.get(url)
            if entry is None:
                raise KeyError(url)
            gen = self._generators[entry.outlet]
            source = entry.source
            indexes = [i for i, b in enumerate(source.blocks) if b.type == "p"]
            at = indexes[paragraph if paragraph is not None else -1]
            new_text = text or gen.paragraphs(gen.rng, 1)[0]
            blocks = list(source.blocks)
            blocks[at] = Block("p", new_text)
            when = modified_at or real_now()
            if isinstance(when, str):
                when = datetime.fromisoformat(when)
            if when.tzinfo is None:
                when = when.replace(tzinfo=VN_TZ)
            if modified_at is None:
                when = max(when, entry.lastmod + timedelta(minutes=1))
            updated = replace(
                source,
                blocks=tuple(blocks),
                modified_at=when.isoformat(),
                title=title or source.title,
            )
            self._by_path[entry.outlet][entry.path] = entry.with_source(updated)
            self._changed(entry.outlet)
            return updated


__all__ = [
    "DEFAULT_ARTICLES",
    "FIXED_NOW",
    "SYNDICATED",
    "Corpus",
    "Entry",
    "fixture_sources",
    "in_section",
    "listing_sections",
    "real_now",
    "section_of_path",
]
