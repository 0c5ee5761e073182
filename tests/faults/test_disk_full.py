"""A full disk under the WARC archive mid-crawl: the crawl stops cleanly, claims nothing it
has not archived, leaves no empty files, and the next run (given space) completes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crawl"))

from crawl_testing import ROOT, crawler_env, query, run_crawl

from crawler.archive import read_record
from crawler.archive.writer import WarcLocation
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.runstatus import EXIT_CODES
from crawler.urls import canonicalize
from tests.faults.disk import small_tmpfs

OUTLETS = ("baohatinh", "baonghean")
ARGS = (*OUTLETS, "--since", "2019-01-01")


def _stored(database_dir: Path) -> list[str]:
    return [u for (u,) in query(database_dir, "SELECT canonical_url FROM articles")]


def test_a_full_disk_stops_the_crawl_cleanly_and_the_rerun_completes(tmp_path: Path) -> None:
    corpus = Corpus(articles_per_outlet=150, outlets=OUTLETS)
    expected = {canonicalize(e.url) for o in OUTLETS for e in corpus.entries(o)}
    # The database has room (tmp_path/archive.sqlite3); the archive's disk does not.
    env = {"ARCHIVE_DATABASE_URL": f"sqlite:///{tmp_path / 'archive.sqlite3'}"}
    bigger = tmp_path / "data"
    with FakeOutletServer(corpus) as server:
        with small_tmpfs(1_500_000, tmp_path) as small:
            first = run_crawl(small, server.mirrors_json, *ARGS, **env)
            sizes = {p.name: p.stat().st_size for p in (small / "warc").glob("*.warc.gz")}
            shutil.copytree(small, bigger)
        stored_first = set(_stored(tmp_path))
        archived = query(
            tmp_path,
            "SELECT a.canonical_url, p.warc_file, p.warc_offset, p.warc_length FROM articles a "
            "LEFT JOIN pages p ON p.article_id = a.id",
        )
        second = run_crawl(bigger, server.mirrors_json, *ARGS, **env)
    assert first.returncode == EXIT_CODES["failed"], first.stdout + first.stderr[-3000:]
    assert "(status: failed;" in first.stdout
    assert "No space left on device" in first.stderr
    assert sizes and all(size > 0 for size in sizes.values()), sizes  # no empty files
    assert 0 < len(stored_first) < len(expected), "the disk must fill mid-crawl"
    # Every article stored by the failed run has its raw page in the archive, whole.
    assert {url for url, *_ in archived} == stored_first
    for url, file, offset, length in archived:
        assert file is not None, f"{url} stored without its raw page"
        assert read_record(bigger, WarcLocation(file, offset, length)).body
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    verify = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "archive", "verify"],
        env=crawler_env(bigger, "{}", **env),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
