"""A seeded mutator of fake-outlet article pages: the template variations real CMSes show.

Test-only machinery (the property test and the quality benchmark use it; product code
never does). One seed gives one page: a corpus article rendered in one of its template's
layouts (desktop, mobile, legacy), then varied the way outlets vary their pages:

* ``wrap``: runs of body children wrapped in extra ``<div>`` levels;
* ``rename``: class names of the headline, sapo and meta elements dropped or changed (and,
  on some pages, the body's own classes: the template's body selector then finds nothing);
* ``bare-divs``: paragraphs written as bare ``<div>``;
* ``scripts``: ``<style>``, ``<script>`` and ``<noscript>`` with text inside the body;
* ``ads``: ad blocks with ids of every shape (``adsWeb_*``, ``adsMobile_*``, ``sdaWeb_*``...)
  and a "Quảng cáo" label;
* ``related-box``: a labelled related-news box ("Tin liên quan", "Dòng sự kiện:"...) inside
  the body; ``link-list``: an unlabelled list of links to other articles; ``inline-link``:
  a paragraph that is only a link to another article;
* ``byline-last``: the author credit moved from its element to the body's last child;
* ``two-h1``: a breadcrumb ``<h1>`` before the headline;
* ``visible-date``: every machine-readable date removed (JSON-LD, meta, ``datetime``), the
  date printed as text under the headline; ``no-jsonld``: JSON-LD removed;
* ``nfd``: some paragraphs stored with combining diacritics.

Every variant carries the truth (the corpus record) and the boilerplate strings it put in,
which must never reach the extracted text.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import lxml.html

from crawler.extraction.dom import compiled, parse
from crawler.fakeoutlets import get_site, render_article
from crawler.fakeoutlets.options import LAYOUTS, PageOptions
from crawler.fakeoutlets.render.common import dmy_hm, weekday_vn
from crawler.outlets import get_profile

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.html import HtmlElement

    from crawler.fakeoutlets.sites import Site
    from crawler.fakeoutlets.source import ArticleSource

MUTATIONS: tuple[str, ...] = (
    "wrap",
    "rename",
    "bare-divs",
    "scripts",
    "ads",
    "related-box",
    "link-list",
    "inline-link",
    "byline-last",
    "two-h1",
    "visible-date",
    "no-jsonld",
    "nfd",
)

CHROME: tuple[str, ...] = (
    "Đọc thêm",
    "Tin liên quan",
    "Tin cùng chuyên mục",
    "Go top",
    "Thống kê truy cập",
    "Tổng lượt truy cập",
    "bình chọn",
    "Viết bình luận",
    "THÔNG TIN CẦN BIẾT",
    "Điểm tin sáng",
    "Sự kiện nổi bật",
    "Quảng cáo",
    "Dòng sự kiện",
)
"""Strings of the templates' chrome that must never reach an article's text."""

LABELS = ("Tin liên quan", "Đọc thêm", "Xem thêm", "Tin cùng chuyên mục", "Dòng sự kiện:")
AD_IDS = ("adsWeb_AdsArticleMiddle", "adsMobile_AdsArticleMiddle", "sdaWeb_SdaArticleMiddle",
          "qc-inread", "banner-inpage", "advZone")  # fmt: skip
STYLE_TEXT = ".noi-bat{color:#c00;font-weight:700}"
SCRIPT_TEXT = "window.tinNong = 'Tin nóng trong ngày';"
NOSCRIPT_TEXT = "Bật JavaScript để xem nội dung"


@dataclass
class Variant:
    """One varied page and its truth."""

    seed: int
    url: str
    source: ArticleSource
    html: str
    layout: str
    applied: list[str] = field(default_factory=list)
    """The mutations applied, in order."""
    needles: list[str] = field(default_factory=list)
    """Strings the page holds that must not reach the extracted sapo or body."""

    @property
    def gold_text(self) -> str:
        """Sapo then body lines, as a perfect extractor gives them."""
        return "\n".join(line for line in (self.source.sapo, *self.source.body_lines()) if line)

    @property
    def label(self) -> str:
        """A short description for failure messages."""
        return f"seed {self.seed} {self.source.outlet} {self.layout} {'+'.join(self.applied)}"


@dataclass
class _Page:
    root: HtmlElement
    body: HtmlElement
    source: ArticleSource
    site: Site
    rng: random.Random
    others: list[tuple[str, str]]
    needles: list[str]


def _body(root: HtmlElement, outlet: str) -> HtmlElement:
    """The article body: the template's selector, else the element with the most paragraphs."""
    for selector in get_profile(outlet).template.body:
        found = compiled(selector)(root)
        if found:
            return found[0]
    candidates = [e for e in root.iter("div", "article") if len(e.findall("p")) >= 2]
    return max(candidates, key=lambda e: len(e.findall("p")))


def _element(html: str) -> HtmlElement:
    return lxml.html.fragment_fromstring(html)


def _insert(page: _Page, html: str) -> None:
    """Put an element between two of the body's children, at a random place."""
    children = list(page.body)
    position = page.rng.randrange(1, max(2, len(children)))
    page.body.insert(min(position, len(children)), _element(html))


def _links(page: _Page, count: int) -> str:
    picks = page.rng.sample(page.others, min(count, len(page.others)))
    page.needles.extend(title for title, _ in picks)
    return "".join(f'<li><a href="{url}">{title}</a></li>' for title, url in picks)


def _wrap(page: _Page) -> None:
    children = list(page.body)
    if len(children) < 3:
        return
    start = page.rng.randrange(0, len(children) - 2)
    end = page.rng.randrange(start + 1, len(children))
    wrapper = _element(f'<div class="wrap-{page.rng.randrange(1000)}"></div>')
    children[start].addprevious(wrapper)
    for child in children[start:end]:
        wrapper.append(child)


def _rename(page: _Page) -> None:
    for element in page.root.iter("h1", "time", "span", "div", "p"):
        if element is page.body or not element.get("class"):
            continue
        if any(a is page.body for a in element.iterancestors()):
            continue
        if page.rng.random() < 0.5:
            roll = page.rng.random()
            if roll < 0.5:
                del element.attrib["class"]
            else:
                element.set("class", f"c{page.rng.randrange(10_000)}")
    if page.rng.random() < 0.15:  # a redesign renamed the body too
        for attribute in ("class", "id", "itemprop"):
            page.body.attrib.pop(attribute, None)


def _bare_divs(page: _Page) -> None:
    for element in page.body.iter("p"):
        if not element.get("style") and element.find(".//img") is None:
            element.tag = "div"


def _scripts(page: _Page) -> None:
    page.body.insert(0, _element(f"<style>{STYLE_TEXT}</style>"))
    _insert(page, f"<script>{SCRIPT_TEXT}</script>")
    _insert(page, f"<noscript>{NOSCRIPT_TEXT}</noscript>")
    page.needles.extend([STYLE_TEXT, "Tin nóng trong ngày", NOSCRIPT_TEXT])


def _ads(page: _Page) -> None:
    for _ in range(page.rng.randint(1, 3)):
        ident = f"{page.rng.choice(AD_IDS)}{page.rng.randrange(10)}"
        _insert(
            page,
            f'<div id="{ident}" class="z{page.rng.randrange(99)}"><span>Quảng cáo</span></div>',
        )
    page.needles.append("Quảng cáo")


def _related_box(page: _Page) -> None:
    label = page.rng.choice(LABELS)
    tag = page.rng.choice(("div", "section", "aside"))
    heading = page.rng.choice(("span", "strong", "h3", "p"))
    _insert(page, f"<{tag}><{heading}>{label}</{heading}><ul>{_links(page, 3)}</ul></{tag}>")
    page.needles.append(label.rstrip(":"))


def _link_list(page: _Page) -> None:
    _insert(page, f'<div class="x{page.rng.randrange(99)}"><ul>{_links(page, 3)}</ul></div>')


def _inline_link(page: _Page) -> None:
    title, url = page.rng.choice(page.others)
    page.needles.append(title)
    _insert(page, f'<p><a class="cms-relate" href="{url}">{title}</a></p>')


def _byline_last(page: _Page) -> None:
    byline = page.source.byline
    if not byline:
        return
    for element in list(page.root.iter()):
        if element is page.body or any(a is page.body for a in element.iterancestors()):
            continue
        if isinstance(element.tag, str) and element.text_content().strip() == byline:
            parent = element.getparent()
            if parent is not None and element.tag not in ("html", "body"):
                parent.remove(element)
    if page.body.text_content().strip().endswith(byline):
        return
    page.body.append(_element(f'<p style="text-align: right;"><strong>{byline}</strong></p>'))


def _two_h1(page: _Page) -> None:
    title = next(iter(page.root.iter("h1")), None)
    if title is None:
        return
    section = page.source.category.upper()
    crumb = (
        f'<div><h1><a href="/chuyen-muc/">{section}</a> &gt; <a href="/tin/">Tin tức</a></h1></div>'
    )
    title.addprevious(_element(crumb))


def _visible_date(page: _Page) -> None:
    for script in list(page.root.iter("script")):
        if script.get("type") == "application/ld+json":
            script.getparent().remove(script)
    for meta in list(page.root.iter("meta")):
        if "time" in (meta.get("property") or meta.get("name") or meta.get("itemprop") or ""):
            meta.getparent().remove(meta)
    for element in page.root.iter():
        for attribute in ("datetime", "content"):
            if element.tag != "meta" and element.get(attribute):
                del element.attrib[attribute]
    title = next((h for h in page.root.iter("h1") if h.text_content().strip()), None)
    when = page.source.published
    printed = f"{weekday_vn(when)}, {dmy_hm(when, ' - ')}"
    if title is not None:
        title.addnext(_element(f'<div class="ngay">{printed}</div>'))
    page.needles.append(printed)


def _no_jsonld(page: _Page) -> None:
    for script in list(page.root.iter("script")):
        if script.get("type") == "application/ld+json":
            script.getparent().remove(script)


def _nfd(page: _Page) -> None:
    for element in page.body.iter("p", "div"):
        if page.rng.random() < 0.3 and element.text:
            element.text = unicodedata.normalize("NFD", element.text)


APPLY: dict[str, Callable[[_Page], None]] = {
    "wrap": _wrap,
    "rename": _rename,
    "bare-divs": _bare_divs,
    "scripts": _scripts,
    "ads": _ads,
    "related-box": _related_box,
    "link-list": _link_list,
    "inline-link": _inline_link,
    "byline-last": _byline_last,
    "two-h1": _two_h1,
    "visible-date": _visible_date,
    "no-jsonld": _no_jsonld,
    "nfd": _nfd,
}


def make_variant(source: ArticleSource, others: list[tuple[str, str]], seed: int) -> Variant:
    """The page of ``source`` varied by ``seed`` (``others``: (title, url) of other articles
    of the same outlet, for the related boxes)."""
    rng = random.Random(seed)
    site = get_site(source.outlet)
    layout = rng.choice(LAYOUTS)
    options = PageOptions(
        layout=layout,
        ads=rng.random() < 0.8,
        inline_related_after=rng.choice((None, 1, 2)) if len(source.blocks) > 3 else None,
    )
    source = replace(source, related=source.related)
    root = parse(render_article(source, site, options))
    page = _Page(root, _body(root, source.outlet), source, site, rng, others, [])
    applied = [name for name in MUTATIONS if rng.random() < 0.35]
    rng.shuffle(applied)
    for name in applied:
        APPLY[name](page)
    needles = [*CHROME, *page.needles, *(link.title for link in source.related)]
    html = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    return Variant(seed, source.url, source, str(html), layout, applied, needles)
