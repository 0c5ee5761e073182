"""Selectors degrade gracefully: a fixture page whose body markup changed still extracts.

The body element loses the classes, id and tag the template's selectors look for (a template
change on the outlet's side); extraction must fall back to trafilatura with the profile's
pruning rules and the Vietnamese guards, keep most of the text and leak no boilerplate.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import lxml.html
import pytest
from test_fixtures import BOILERPLATE, FIXTURES, PAGES, _case_id, _gold_body

from benchmarks.scoring import match
from crawler.extraction import extract
from crawler.extraction.dom import compiled, parse
from crawler.fakeoutlets.source import load_source
from crawler.outlets import profile_for_url

if TYPE_CHECKING:
    from pathlib import Path


def _break_body_markup(html: bytes, url: str) -> str:
    root = parse(html)
    profile = profile_for_url(url)
    assert profile is not None
    for selector in profile.template.body:
        for element in compiled(selector)(root):
            for attribute in ("class", "id", "itemprop"):
                element.attrib.pop(attribute, None)
            element.tag = "div"
    return str(lxml.html.tostring(root, encoding="unicode"))


@pytest.mark.parametrize("page", PAGES, ids=_case_id)
def test_changed_body_markup_falls_back_without_boilerplate(page: Path) -> None:
    source = load_source(FIXTURES / "sources" / page.parent.name / f"{page.name[:-8]}.json")
    html = _break_body_markup(gzip.decompress(page.read_bytes()), source.url)
    article = extract(html, source.url)
    assert "generic" not in (article.extractor_version or "")  # still the outlet's profile
    assert article.title == source.title
    assert article.published_at is not None
    text = "\n".join(s for s in (article.sapo, article.body) if s)
    gold = "\n".join(s for s in (source.sapo, *_gold_body(source)) if s)
    scores = match(gold, text)
    assert scores.recall >= 0.7, scores
    assert scores.precision >= 0.85, scores
    for needle in BOILERPLATE:
        assert needle not in text, f"{needle!r} leaked"
