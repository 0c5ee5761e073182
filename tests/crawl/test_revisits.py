"""Revisit records across crawls: a second incremental crawl of unchanged fake outlets.

Two real ``crawler crawl`` runs against the fake outlets; the second one is run twice from the
same starting state (a copy of the data folder), with and without revisit records, and the
WARC bytes it writes are compared. The fake outlets' pages are small (robots.txt, sitemaps and
listings of 0.1 to 10 KB), so the fixed cost of a revisit and its request record (about 1 KB
compressed) weighs heavily here; the 80 % target is measured on real listing pages in
``tests/archive/test_revisit_saving.py``. Here every re-fetch must become a revisit of the
first crawl's capture, and the saving is printed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from crawl_testing import ROOT, crawler_env, query, run_crawl

from crawler.archive import WarcLocation, iter_records, read_record, verify
from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OUTLETS = ("baonghean", "baoquangtri")
MIN_SAVING = 0.5
"""Below this something else than a revisit was written (measured: 62 %)."""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOutletServer]:
    corpus = Corpus(articles_per_outlet=60, now=real_now(), outlets=OUTLETS)
    with FakeOutletServer(corpus) as running:
        yield running


def _warc_files(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "warc").glob("*.warc.gz")}


def _second_run(data_dir: Path, server: FakeOutletServer, revisits: bool) -> tuple[int, set[str]]:
    before = _warc_files(data_dir)
    result = run_crawl(
        data_dir,
        server.mirrors_json,
        *OUTLETS,
        ARCHIVE_WARC_REVISITS="1" if revisits else "0",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    new = _warc_files(data_dir) - before
    return sum((data_dir / "warc" / name).stat().st_size for name in new), new


def test_second_incremental_crawl_of_unchanged_outlets_is_mostly_revisits(
    server: FakeOutletServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with_revisits = tmp_path_factory.mktemp("revisits")
    first = run_crawl(with_revisits, server.mirrors_json, *OUTLETS, ARCHIVE_FIRST_CRAWL_DAYS="3")
    assert first.returncode == 0, first.stderr[-4000:]
    first_files = _warc_files(with_revisits)
    assert sum(first.summary(o)["new"] for o in OUTLETS) > 0
    without = tmp_path_factory.mktemp("baseline")
    shutil.copytree(with_revisits, without, dirs_exist_ok=True)

    size, files = _second_run(with_revisits, server, revisits=True)
    baseline, _ = _second_run(without, server, revisits=False)
    saving = 1 - size / baseline
    print(
        f"\nsecond incremental crawl of unchanged outlets: {baseline} WARC bytes stored in "
        f"full, {size} with revisit records: {saving:.1%} smaller"
    )
    assert saving >= MIN_SAVING

    # What the second crawl wrote: revisit records of the first crawl's captures.
    records = [
        r for name in sorted(files) for r in iter_records(with_revisits / "warc" / name, check=True)
    ]
    revisits = [r for r in records if r.type == "revisit"]
    responses = [r for r in records if r.type == "response"]
    assert len(revisits) >= 10 and responses == []
    first_responses = {
        (r.url, dict(r.warc_headers)["WARC-Date"]): dict(r.warc_headers)["WARC-Payload-Digest"]
        for name in first_files
        for r in iter_records(with_revisits / "warc" / name)
        if r.type == "response"
    }
    for revisit in revisits:
        headers = dict(revisit.warc_headers)
        key = (headers["WARC-Refers-To-Target-URI"], headers["WARC-Refers-To-Date"])
        assert first_responses.get(key) == headers["WARC-Payload-Digest"], key

    # The second run's page rows point at the first run's records, which hold the payloads.
    rows = query(
        with_revisits,
        "SELECT url, warc_file, warc_offset, warc_length, payload_digest FROM pages "
        "WHERE run_id IN (SELECT id FROM crawl_runs ORDER BY id DESC LIMIT ?)",
        len(OUTLETS),  # one run per outlet spider
    )
    assert rows
    in_first = [r for r in rows if r[1].split("/")[-1] in first_files]
    assert len(in_first) == len(rows) == len(revisits)
    for url, file, offset, length, digest in in_first:
        archived = read_record(with_revisits, WarcLocation(file, offset, length), check=True)
        assert archived.url == url
        assert digest and digest.startswith("sha1:")
    assert verify(with_revisits, [WarcLocation(f, o, n) for _, f, o, n, _ in rows]).ok
    verified = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "archive", "verify"],
        env=crawler_env(with_revisits, "{}"),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
