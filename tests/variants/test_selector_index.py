"""``SelectorIndex.select`` must give exactly what the CSS selector gives on the whole page.

Checked with every selector of every CMS template and outlet profile, plus selectors of the
shapes the index treats differently (child and sibling combinators, ``:not()``, pseudo
classes, comma groups, nested holders of one class), on real pages, generated pages and
seeded variants; then again after random elements were removed from the page (extraction
prunes the tree while the index is in use).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest
from variant_sets import TEMPLATES as VARIANT_TEMPLATES
from variant_sets import variant

from benchmarks.real_pages import load_real_pages
from crawler.extraction.dom import SelectorIndex, compiled, leading_key, parse, remove
from crawler.outlets import all_profiles
from crawler.outlets.templates import TEMPLATES

if TYPE_CHECKING:
    from lxml.html import HtmlElement

SHAPES = (
    "div",
    "h1",
    ".a .b",
    "div > p",
    "[class*=share]",
    "[class*=related] a",
    ".content p, .sapo",
    ".x ~ p",
    ".x + div",
    "div:not(.content) p",
    "p:first-child",
    "li:nth-of-type(2) a",
    "div div p",
    "div > div > p",
    "*",
    "body.detail h1",
    "html .title",
    "html body .title",
    "#main",
    "#main .title",
    "div#main > p",
    "#a, #b",
)
"""Selector shapes beyond the templates' (with class names made up or common)."""


def _template_selectors() -> list[str]:
    found: dict[str, None] = {}
    templates = list(TEMPLATES) + [profile.template for profile in all_profiles()]
    for template in templates:
        for name in (
            "title",
            "body",
            "sapo",
            "prune",
            "caption",
            "published",
            "modified",
            "author",
            "category",
            "tags",
            "signature",
        ):
            for selector in getattr(template, name, ()):
                found.setdefault(selector)
    return list(found)


def _page_class_selectors(root: HtmlElement, rng: random.Random, count: int) -> list[str]:
    """Selectors built from the page's own class names (so that they match), in the shapes
    the index accelerates: the class alone, with a descendant, with a child."""
    names = sorted({n for e in root.iter() for n in str(e.get("class") or "").split() if n})
    picked = rng.sample(names, min(count, len(names)))
    selectors: list[str] = []
    for name in picked:
        if not name.replace("-", "").replace("_", "").isalnum() or name[0].isdigit():
            continue
        selectors += [f".{name}", f".{name} a", f".{name} > *", f"div.{name} p", f".{name} .{name}"]
    ids = sorted({str(e.get("id")) for e in root.iter() if e.get("id")})
    for name in rng.sample(ids, min(count, len(ids))):
        if name.replace("-", "").replace("_", "").isalnum() and not name[0].isdigit():
            selectors += [f"#{name}", f"#{name} a", f"div#{name} > *"]
    return selectors


def _pages() -> list[tuple[str, str | bytes]]:
    pages: list[tuple[str, str | bytes]] = [(p.id, p.html) for p in load_real_pages()]
    for template in VARIANT_TEMPLATES:
        for number in range(4):
            page, _ = variant(template, number)
            pages.append((f"variant {template} {number}", page.html))
    return pages


PAGES = _pages()
SELECTORS = [*_template_selectors(), *SHAPES]


def _same(index: SelectorIndex, root: HtmlElement, selectors: list[str]) -> list[str]:
    """Selectors for which the index differs from the CSS selector, on the whole page and
    inside its body (``within``)."""
    body = next(root.iter("body"))
    wrong = []
    for selector in selectors:
        for within in (None, body):
            expected = list(compiled(selector)(root if within is None else within))
            got = index.select(selector, within=within)
            same = len(got) == len(expected) and all(
                g is e for g, e in zip(got, expected, strict=True)
            )
            if not same:
                wrong.append(f"{selector!r} within {within}: {len(got)}, not {len(expected)}")
    return wrong


def test_the_templates_selectors_are_mostly_accelerated() -> None:
    # Guards the test's point: most selectors take the index's own path.
    accelerated = [s for s in _template_selectors() if leading_key(s) is not None]
    assert len(accelerated) >= 0.5 * len(_template_selectors())
    assert leading_key(".a ~ .b") is None and leading_key(".a, .b") is None
    assert leading_key(":not(.a) p") is None and leading_key(".a > .b .c") == ("class", "a")
    assert leading_key("div.a#main p") == ("id", "main")


@pytest.mark.parametrize("eager", [True, False], ids=["eager", "lazy"])
@pytest.mark.parametrize(("name", "html"), PAGES, ids=[name for name, _ in PAGES])
def test_index_gives_what_the_selector_gives(name: str, html: str | bytes, eager: bool) -> None:
    rng = random.Random(name)
    root = parse(html)
    index = SelectorIndex(root, eager=eager)
    selectors = [*SELECTORS, *_page_class_selectors(root, rng, 12)]
    matched = sum(1 for s in selectors if compiled(s)(root))
    assert matched >= 5, "the page should match some of the selectors"
    assert _same(index, root, selectors) == []

    # The same index after extraction-like pruning: random elements of the body removed.
    body = next(root.iter("body"))
    elements = [e for e in body.iter() if e is not body and isinstance(e.tag, str)]
    for element in rng.sample(elements, min(40, len(elements))):
        remove(element)  # some are inside already removed ones: harmless
    assert _same(index, root, selectors) == []
