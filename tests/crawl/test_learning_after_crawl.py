"""A crawl learns its outlets' boilerplate again at its end, in a worker process, and only
when it stored something: a crawl that found nothing new leaves what was learned alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawl_testing import query, run_crawl

from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    from pathlib import Path

LEARNED = "SELECT outlet, count(*), max(learned_at) FROM learned_boilerplate GROUP BY outlet"


def test_a_crawl_learns_at_its_end_and_a_crawl_with_nothing_new_does_not(tmp_path: Path) -> None:
    outlets = ("baohatinh", "baoquangtri")
    corpus = Corpus(articles_per_outlet=40, outlets=outlets)
    with FakeOutletServer(corpus) as server:
        first = run_crawl(tmp_path, server.mirrors_json, *outlets, "--since", "2019-01-01")
        assert first.returncode == 0, first.stderr[-3000:]
        learned = {outlet: (n, when) for outlet, n, when in query(tmp_path, LEARNED)}
        assert set(learned) == {"baohatinh.vn", "baoquangtri.vn"}
        assert all(n > 0 for n, _ in learned.values())
        second = run_crawl(tmp_path, server.mirrors_json, *outlets)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "new=0 updated=0" in second.stdout
    assert "boilerplate not learned again (finished, 0 stored)" in second.stderr
    again = {outlet: (n, when) for outlet, n, when in query(tmp_path, LEARNED)}
    assert again == learned
