"""The per-page throughput benchmark runs and prints every real article page and the totals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks import extraction_per_page

if TYPE_CHECKING:
    import pytest


def test_keep_best_keeps_each_systems_lowest_time() -> None:
    best: dict[str, dict[str, object]] = {}
    extraction_per_page.keep_best(best, {"a": {"ours": 2.0, "trafilatura": 5.0, "path": "generic"}})
    extraction_per_page.keep_best(best, {"a": {"ours": 3.0, "trafilatura": 4.0, "path": "generic"}})
    assert best == {"a": {"ours": 2.0, "trafilatura": 4.0, "path": "generic"}}


def test_one_quick_pass_prints_every_real_article_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert extraction_per_page.main(["--repeat", "1", "--passes", "1"]) == 0
    out = capsys.readouterr().out
    pages = extraction_per_page.real_article_pages()
    assert len(pages) >= 19
    for page in pages:
        assert f"| {page['id']} |" in out
    assert "profile baocantho" in out  # the profiled page is read through its profile
    assert "all real article pages: now " in out
