"""Real crawls of the hostile loopback site: every trap survives, is counted, and heals.

The site (:mod:`tests.faults.hostile_site`) is independent of the project's fake outlets: its
own WordPress-like markup, crawled through ``crawler crawl --url`` (the generic spider, scheme
and port kept). Each test proves its fault happened during the crawl (the site's counters),
then checks what the run stored and what it reported.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crawl"))

from crawl_testing import query, run_crawl

from crawler.runstatus import EXIT_CODES
from crawler.urls import canonicalize
from tests.faults.hostile_site import HostileSite

if TYPE_CHECKING:
    from crawl_testing import CrawlResult

# Short timeouts so the slow page and the storms cost seconds, not minutes.
QUICK = {
    "DOWNLOAD_TIMEOUT": "5",
    "RETRY_TIMES": "1",
    "ARCHIVE_RETRY_FAILED_AFTER": "0",
}
TRAPS = (
    "huge",
    "huge_chunked",
    "slow",
    "truncated",
    "gzip_bomb",
    "redirect_loop",
    "always_429",
    "always_503",
)


def _stored(data_dir: Path) -> list[str]:
    return [row[0] for row in query(data_dir, "SELECT canonical_url FROM articles")]


def _crawl(site: HostileSite, data_dir: Path, **settings: str) -> CrawlResult:
    return run_crawl(
        data_dir, "{}", "--url", site.origin + "/", timeout=300, settings={**QUICK, **settings}
    )


def test_every_trap_of_a_hostile_site_is_survived_counted_and_reported(tmp_path: Path) -> None:
    with HostileSite(articles=24) as site:
        site.switches.hostile_links = True
        started = time.monotonic()
        first = _crawl(site, tmp_path)
        took = time.monotonic() - started
        hostile = site.hostile_urls
        hits = {
            name: site.hits_under(Path(hostile[name].split(site.origin, 1)[1]).as_posix())
            for name in TRAPS
        }
        second = _crawl(site, tmp_path)
    assert all(hits.values()), f"a trap was never requested: {hits}"
    summary = first.summary("generic")
    # Every trap is a failure the run admits: the summary, the exit status, crawl_runs.
    assert first.returncode == EXIT_CODES["partial"], first.stdout + first.stderr[-3000:]
    assert summary["failed"] >= len(TRAPS)
    assert took < 240, f"the crawl took {took:.0f} s"
    ledger = dict(query(tmp_path, "SELECT url, state FROM url_ledger"))
    for name in TRAPS:
        assert ledger.get(canonicalize(hostile[name])) == "failed", name
    assert ledger.get(canonicalize(hostile["offsite_redirect"])) == "gone"
    # The normal stories are all there, once, and absurd dates were dropped, not stored.
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert {canonicalize(u) for u in site.article_urls()} <= set(stored)
    for name in ("absurd_future", "absurd_past"):
        dates = query(
            tmp_path,
            "SELECT published_at FROM articles WHERE canonical_url = ?",
            canonicalize(hostile[name]),
        )
        assert dates == [(None,)], name
    assert "dates_discarded" in first.stderr
    # The next run fetches the traps again (due at once here), reports them again, stores
    # nothing twice.
    assert second.returncode == EXIT_CODES["partial"]
    assert second.summary("generic")["new"] == 0
    again = _stored(tmp_path)
    assert sorted(again) == sorted(stored)


def test_stories_published_before_the_previous_crawl_but_seen_after_are_stored(
    tmp_path: Path,
) -> None:
    with HostileSite(articles=12) as site:
        first = _crawl(site, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        late = site.publish_late(10)  # written at 08:00, online at 11:00
        second = _crawl(site, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = set(_stored(tmp_path))
    missing = [s.path for s in late if canonicalize(site.url(s.path)) not in stored]
    assert not missing, f"{len(missing)} of 10 late stories missed"
    assert second.summary("generic")["new"] == 10


def test_a_429_storm_pauses_the_host_then_gives_it_up_and_the_next_run_heals(
    tmp_path: Path,
) -> None:
    with HostileSite(articles=30) as site:
        # Slow responses so the storm starts mid-crawl, with stories stored before it.
        site.switches.latency = 0.15
        settings = {"ARCHIVE_HOST_GIVE_UP_STREAK": "6", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}

        def storm_when_half_stored() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if len(_stored(tmp_path)) >= 8:
                        break
                except Exception:
                    pass
                time.sleep(0.1)
            site.storm(429, retry_after="1")

        trigger = threading.Thread(target=storm_when_half_stored, daemon=True)
        trigger.start()
        first = _crawl(site, tmp_path, **settings)
        trigger.join(5)
        stored_first = set(_stored(tmp_path))
        site.calm()
        site.switches.latency = 0
        second = _crawl(site, tmp_path, **settings)
    assert 8 <= len(stored_first) < len(site.article_urls()), "the storm must hit mid-run"
    assert first.returncode == EXIT_CODES["partial"], first.stdout + first.stderr[-3000:]
    assert "'archive/hosts_given_up': 1" in first.stderr
    assert first.summary("generic")["failed"] > 0
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored))
    assert {canonicalize(u) for u in site.article_urls()} == set(stored)
