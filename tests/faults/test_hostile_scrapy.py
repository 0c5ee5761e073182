"""Each hostile endpoint through the project's real downloader stack (Scrapy in a subprocess
with ``crawler/settings.py``): it fails the way it should, quickly, and nothing hangs.

This pins what the spiders' errbacks receive for each fault, so the crawl can record it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from crawler.extraction.dates import VIETNAM
from tests.faults.hostile_site import HostileSite
from tests.faults.probe_crawl import run_probe

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=VIETNAM)


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite(5, now=NOW, archive_size=3000) as running:
        yield running


@pytest.mark.timeout(300)
def test_hostile_endpoints_fail_as_they_should(site: HostileSite) -> None:
    hostile = site.hostile_urls
    names = [
        "huge",
        "huge_chunked",
        "slow",
        "truncated",
        "gzip_bomb",
        "redirect_loop",
        "offsite_redirect",
        "soft_404",
        "absurd_future",
        "always_503",
    ]
    normal = site.article_urls()[0]
    result = run_probe(
        [hostile[n] for n in names] + [normal],
        {"DOWNLOAD_TIMEOUT": 4, "RETRY_TIMES": 1, "ARCHIVE_RETRY_BACKOFF": 0.05},
    )
    outcomes = {url: found[0] for url, found in result.by_url().items()}
    # An off-site redirect is filtered when the redirect is scheduled (OffsiteMiddleware's
    # request_scheduled handler raises IgnoreRequest): the target is never fetched, and
    # neither callback nor errback is called. A crawl that must account for every URL has
    # to notice that itself (stats offsite/filtered).
    assert hostile["offsite_redirect"] not in outcomes
    assert result.stats["offsite/filtered"] == 1
    names.remove("offsite_redirect")
    seen = {name: outcomes[hostile[name]] for name in names}
    assert outcomes[normal].status == 200 and outcomes[normal].size > 5000
    # Bigger than DOWNLOAD_MAXSIZE (16 MiB): cancelled, announced or not.
    for name in ("huge", "huge_chunked"):
        assert seen[name].error == "DownloadCancelledError", seen[name]
    assert "larger than download max size" in seen["huge"].message
    assert seen["slow"].error == "DownloadTimeoutError", seen["slow"]
    assert seen["truncated"].error == "ResponseDataLossError", seen["truncated"]
    # 1 GiB once inflated: Scrapy stops at DOWNLOAD_MAXSIZE and drops the response.
    assert seen["gzip_bomb"].error == "IgnoreRequest", seen["gzip_bomb"]
    # The loop comes back to a URL already requested: the scheduler's duplicate filter
    # drops it, and neither callback nor errback is ever called. A crawl that must account
    # for every URL has to listen to the request_dropped signal.
    assert seen["redirect_loop"].error == "RequestDropped", seen["redirect_loop"]
    assert seen["soft_404"].status == 200 and seen["absurd_future"].status == 200
    assert seen["always_503"].status == 503 and seen["always_503"].error == "HttpError"
    # Nothing waited for the whole slow page (90 s) or the 1 GiB.
    assert result.seconds < 60
    assert site.hits_under("/2026/01/12/trang-chuyen-huong-vong-lap") <= 6


@pytest.mark.timeout(300)
def test_a_fault_switched_on_mid_run_is_seen_mid_run(site: HostileSite) -> None:
    """A storm switched on after 20 requests and off after 10 refusals: the site's log shows
    work before, during and after it, and the crawl reports exactly those failures."""
    site.reset_counters()
    archive = [site.url(site.archive_path(n)) for n in range(60)]
    done = threading.Event()

    def switch_on_after_20() -> None:
        while not done.is_set():
            if site.requests_total >= 20:
                site.storm(503, retry_after=None, requests=10, prefixes=("/2026/",))
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=switch_on_after_20, daemon=True)
    watcher.start()
    try:
        result = run_probe(
            archive,
            {
                "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                "RETRY_TIMES": 0,
                "ARCHIVE_HOST_GIVE_UP_STREAK": 0,
            },
        )
    finally:
        done.set()
        watcher.join()
        site.calm()
    statuses = [status for _, _, status in site.log]
    first, last = statuses.index(503), len(statuses) - 1 - statuses[::-1].index(503)
    assert first >= 20 and statuses[first : last + 1] == [503] * 10
    assert statuses.count(200) == 50 and last < len(statuses) - 1  # work after it too
    failed = [o for o in result.outcomes if o.status == 503]
    assert len(failed) == 10 and all(o.error == "HttpError" for o in failed)
