"""The generic path reads trafilatura's metadata itself, only the fields it uses: each field
must come out as ``extract_metadata`` (what ``bare_extraction(with_metadata=True)`` adds)
gives it. Checked on every real page, so a trafilatura release that changes how it reads
metadata shows here."""

from __future__ import annotations

import pytest
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Extractor

from benchmarks.real_pages import RealPage, load_real_pages
from crawler.extraction.dom import parse_document
from crawler.extraction.generic import _TrafilaturaMetadata

PAGES = load_real_pages()
FIELDS = sorted(_TrafilaturaMetadata.FIELDS)


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_each_field_as_extract_metadata_gives_it(page: RealPage) -> None:
    root = parse_document(page.html)[0]
    options = Extractor(url=page.url, with_metadata=True)
    whole = extract_metadata(
        root, options.url, options.date_params, options.fast, options.author_blacklist
    )
    for name in FIELDS:  # one field asked for at a time, then all of them
        alone = _TrafilaturaMetadata(root, page.url, object(), {name})
        assert alone.field(name) == getattr(whole, name), name
    every = _TrafilaturaMetadata(root, page.url, object(), set(FIELDS))
    every.read()
    every.close()
    assert [every.field(n) for n in FIELDS] == [getattr(whole, n) for n in FIELDS]


def test_no_reading_once_the_tree_may_have_changed() -> None:
    page = PAGES[0]
    metadata = _TrafilaturaMetadata(parse_document(page.html)[0], page.url, object(), {"tags"})
    metadata.read()
    metadata.close()
    metadata.field("tags")  # read before
    with pytest.raises(RuntimeError):
        metadata.field("date")


def test_nothing_when_trafilatura_found_nothing() -> None:
    page = PAGES[0]
    metadata = _TrafilaturaMetadata(parse_document(page.html)[0], page.url, None, {"title"})
    metadata.close()
    assert [metadata.field(n) for n in FIELDS] == [None] * len(FIELDS)
