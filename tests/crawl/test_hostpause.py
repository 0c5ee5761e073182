"""Retry-After per host inside real Scrapy crawls (subprocesses) against the hostile site.

Two hosts, ``a.test`` and ``b.test`` (separate download slots), are mirrored to two hostile
sites on loopback. The sites' request logs (``time.monotonic()``, one clock for every process
on Linux) show what waited and what did not. A control run without the middleware shows
the same tests fail without it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from crawler.extraction.dates import VIETNAM
from tests.faults.hostile_site import HostileSite
from tests.faults.probe_crawl import ProbeResult, run_probe

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=VIETNAM)
PAUSE = "crawler.middleware.hostpause.HostPauseMiddleware"


@pytest.fixture
def sites() -> Iterator[tuple[HostileSite, HostileSite]]:
    with HostileSite(12, now=NOW) as a, HostileSite(12, now=NOW, seed=2) as b:
        yield a, b


def hosts(a: HostileSite, b: HostileSite, **settings: Any) -> dict[str, Any]:
    return {
        "ARCHIVE_MIRRORS": json.dumps({"a.test": a.origin, "b.test": b.origin}),
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "ARCHIVE_RETRY_BACKOFF": 0.05,
        **settings,
    }


def urls(site: HostileSite, host: str, count: int) -> list[str]:
    return [f"http://{host}{s.path}" for s in site.stories()[:count]]


def crawl(a: HostileSite, b: HostileSite, **settings: Any) -> ProbeResult:
    return run_probe(urls(a, "a.test", 3) + urls(b, "b.test", 10), hosts(a, b, **settings))


def test_retry_after_pauses_only_its_host(sites: tuple[HostileSite, HostileSite]) -> None:
    a, b = sites
    b.switches.latency = 0.25  # b's ten pages take about 2.5 s one after the other
    a.storm(429, retry_after="2", requests=1)  # a's first request is refused for 2 s
    result = crawl(a, b)
    assert [o.status for o in result.outcomes] == [200] * 13  # the refused one was retried
    refused = [t for t, _, status in a.log if status == 429]
    assert len(refused) == 1
    after = [t - refused[0] for t, _, status in a.log if status == 200]
    assert len(after) == 3 and min(after) >= 1.9  # every request to a waited for the pause
    during = [t for t, _, _ in b.log if refused[0] < t < refused[0] + 1.9]
    assert len(during) >= 3  # ... while b went on
    assert result.stats["archive/host_pauses"] == 1
    assert result.stats.get("archive/hosts_given_up") is None


def test_without_the_middleware_the_host_does_not_wait(
    sites: tuple[HostileSite, HostileSite],
) -> None:
    """The control: the assertions above fail when nothing pauses the slot."""
    a, b = sites
    a.storm(429, retry_after="2", requests=1)
    crawl(a, b, DOWNLOADER_MIDDLEWARES={PAUSE: None})
    refused = next(t for t, _, status in a.log if status == 429)
    after = [t - refused for t, _, status in a.log if status == 200]
    assert min(after) < 1.0


def test_a_429_storm_gives_the_host_up(sites: tuple[HostileSite, HostileSite]) -> None:
    a, b = sites
    a.storm(429, retry_after="1")
    result = run_probe(
        urls(a, "a.test", 12) + urls(b, "b.test", 5),
        hosts(a, b, CONCURRENT_REQUESTS_PER_DOMAIN=2, ARCHIVE_HOST_GIVE_UP_STREAK=4),
    )
    outcomes = result.by_url()
    for url in urls(a, "a.test", 12):
        [outcome] = outcomes[url]
        assert outcome.error == "HostGivenUp", outcome
        assert "a.test given up for this run: 429 storm: 4 responses" in outcome.message
    assert all(outcomes[u][0].status == 200 for u in urls(b, "b.test", 5))
    assert a.requests_total <= 6  # 4, plus what was in flight when it gave up
    assert result.stats["archive/hosts_given_up"] == 1
    assert result.stats["archive/hosts_given_up_names"] == ["a.test"]
    assert result.stats["archive/host_given_up_refused"] >= 10
    assert "giving up on a.test for this run" in result.log


def test_pauses_past_the_budget_give_the_host_up(sites: tuple[HostileSite, HostileSite]) -> None:
    a, b = sites
    a.storm(503, retry_after="2")
    result = run_probe(
        urls(a, "a.test", 4),
        hosts(a, b, ARCHIVE_HOST_GIVE_UP_AFTER=3, ARCHIVE_HOST_GIVE_UP_STREAK=0),
    )
    errors = {o.error for o in result.outcomes}
    assert errors == {"HostGivenUp"}
    message = result.outcomes[0].message
    assert "503 storm: Retry-After pauses of 4s in total" in message
    assert a.requests_total == 2  # one pause of 2 s, then the second would pass 3 s
    assert result.seconds < 60


def test_long_retry_after_is_capped(sites: tuple[HostileSite, HostileSite]) -> None:
    a, b = sites
    a.storm(429, retry_after="3600", requests=1)
    result = run_probe(urls(a, "a.test", 1), hosts(a, b, ARCHIVE_RETRY_AFTER_MAX=1))
    assert [o.status for o in result.outcomes] == [200]
    assert result.stats["archive/retry_after_capped"] == 1
    assert "asks to retry after 3600s (HTTP 429); capped at 1s" in result.log
    refused, retried = (t for t, _, _ in a.log)
    assert 0.9 <= retried - refused < 30
