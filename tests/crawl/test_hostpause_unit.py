"""Retry-After parsing, the host-pause bookkeeping and its cooperation with the retry middleware.

The behaviour inside a real crawl (the slot waits, other hosts don't) is in test_hostpause.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import pytest
from scrapy import Request, Spider
from scrapy.core import downloader as scrapy_downloader
from scrapy.core.downloader import Downloader, Slot
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.middleware import retry as retry_module
from crawler.middleware.hostpause import HostGivenUp, HostPauseMiddleware
from crawler.middleware.retry import BackoffRetryMiddleware
from crawler.middleware.retryafter import HOST_PAUSED_FLAG, parse_retry_after

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (b" 7 ", 7.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Mon, 12 Jan 2026 07:59:00 GMT", 0.0),  # in the past: retry now
        ("Mon, 12 Jan 2026 08:00:30 -0000", 30.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | bytes | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


# --- the middleware's bookkeeping, without a crawl ------------------------------------------


def response(url: str, status: int, retry_after: str | None = None) -> Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Response(url, status=status, headers=headers, request=Request(url))


@pytest.fixture
def middleware() -> HostPauseMiddleware:
    return HostPauseMiddleware(None, retry_after_max=60, give_up_after=100, give_up_streak=4)


def test_retry_after_pauses_and_flags(middleware: HostPauseMiddleware) -> None:
    url = "https://a.vn/x"
    out = middleware.process_response(Request(url), response(url, 429, "10"))
    state = middleware.hosts["a.vn"]
    assert HOST_PAUSED_FLAG in out.flags
    assert 9 < state.paused_until - time.monotonic() <= 10
    assert state.paused_total == pytest.approx(10, abs=0.1)
    # Another host is untouched; a 503 without Retry-After pauses nothing.
    other = middleware.process_response(Request("https://b.vn/"), response("https://b.vn/", 503))
    assert HOST_PAUSED_FLAG not in other.flags
    assert middleware.hosts["b.vn"].paused_until == 0


def test_overlapping_pauses_count_once_and_long_ones_are_capped(
    middleware: HostPauseMiddleware, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://a.vn/x"
    middleware.process_response(Request(url), response(url, 429, "10"))
    middleware.process_response(Request(url), response(url, 429, "10"))
    assert middleware.hosts["a.vn"].paused_total == pytest.approx(10, abs=0.1)
    with caplog.at_level(logging.WARNING):
        middleware.process_response(Request(url), response(url, 503, "3600"))
    assert "capped at 60s" in caplog.text
    assert middleware.hosts["a.vn"].paused_total == pytest.approx(60, abs=0.1)


def test_a_success_ends_the_streak(middleware: HostPauseMiddleware) -> None:
    url = "https://a.vn/x"
    for _ in range(3):
        middleware.process_response(Request(url), response(url, 503))
    middleware.process_response(Request(url), response(url, 200))
    for _ in range(3):
        middleware.process_response(Request(url), response(url, 503))
    assert middleware.given_up == {}
    middleware.process_response(Request(url), response(url, 503))
    assert middleware.given_up == {"a.vn": "503 storm: 4 responses 429/503 in a row"}


def test_given_up_host_fails_at_once(middleware: HostPauseMiddleware) -> None:
    url = "https://a.vn/x"
    for _ in range(4):
        out = middleware.process_response(Request(url), response(url, 429))
    assert HOST_PAUSED_FLAG in out.flags  # no backoff sleep before a retry that will fail
    with pytest.raises(HostGivenUp) as refused:
        middleware.process_request(Request("https://a.vn/other"))
    assert isinstance(refused.value, IgnoreRequest)
    assert refused.value.host == "a.vn"
    assert refused.value.reason.startswith("429 storm")
    assert middleware.process_request(Request("https://b.vn/")) is None


def test_pauses_beyond_the_budget_give_up(middleware: HostPauseMiddleware) -> None:
    middleware.give_up_streak = 0  # only the pause budget (100 s) applies
    middleware.retry_after_max = 1000
    url = "https://a.vn/x"
    middleware.process_response(Request(url), response(url, 429, "60"))
    assert middleware.given_up == {}
    middleware.process_response(Request(url), response(url, 429, "120"))
    reason = middleware.given_up["a.vn"]
    assert "Retry-After pauses of 120s in total" in reason
    assert "ARCHIVE_HOST_GIVE_UP_AFTER=100s" in reason


def test_settings_are_declared() -> None:
    assert project_settings.ARCHIVE_RETRY_AFTER_MAX > 0
    assert project_settings.ARCHIVE_HOST_GIVE_UP_AFTER > 0
    assert project_settings.ARCHIVE_HOST_GIVE_UP_STREAK > 0
    order = project_settings.DOWNLOADER_MIDDLEWARES
    # Responses pass middlewares from high to low numbers: host pause before the retry.
    pause = order["crawler.middleware.hostpause.HostPauseMiddleware"]
    retry = order["crawler.middleware.retry.BackoffRetryMiddleware"]
    assert pause is not None and retry is not None and pause > retry
    crawler = get_crawler(settings_dict={"ARCHIVE_HOST_GIVE_UP_STREAK": 7})
    built = HostPauseMiddleware.from_crawler(crawler)
    assert (built.give_up_streak, built.retry_after_max) == (7, 300.0)


# --- no double wait -------------------------------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(retry_module.asyncio, "sleep", fake_sleep)
    yield slept


def test_retry_does_not_sleep_when_the_host_slot_waits(sleeps: list[float]) -> None:
    crawler = get_crawler(Spider, {"ARCHIVE_RETRY_BACKOFF": 1.0, "RETRY_TIMES": 3})
    crawler.spider = Spider.from_crawler(crawler, "test")
    retry = BackoffRetryMiddleware.from_crawler(crawler)
    url = "https://a.vn/x"
    plain = response(url, 429, "5")
    result = asyncio.run(retry.process_response(Request(url), plain))
    assert isinstance(result, Request) and sleeps == [5.0]
    flagged = response(url, 429, "5")
    flagged.flags.append(HOST_PAUSED_FLAG)
    result = asyncio.run(retry.process_response(Request(url), flagged))
    assert isinstance(result, Request) and sleeps == [5.0]  # retried, without a second wait


# --- what the pause relies on in Scrapy ------------------------------------------------------


def test_scrapy_slot_contract() -> None:
    """The attributes hostpause.py relies on (see its docstring). If this fails, Scrapy's
    downloader changed: re-read Downloader._process_queue before adapting the middleware."""
    fields = {f.name: f for f in dataclasses.fields(Slot)}
    assert {"delay", "lastseen", "queue"} <= set(fields)
    slot = Slot(concurrency=1, delay=0.0, jitter=0.0)
    assert slot.lastseen == 0 and len(slot.queue) == 0
    # lastseen is compared with time.monotonic() in _process_queue.
    assert scrapy_downloader.monotonic is time.monotonic
    crawler = get_crawler()
    downloader = Downloader(crawler)
    request = Request("https://a.vn/x")
    assert downloader.get_slot_key(request) == "a.vn"
    assert downloader.slots == {}
    # The penalty check the pause moves: a slot seen "in the future" has a positive penalty.
    source = _source(Downloader._process_queue)
    assert "penalty = delay - now + slot.lastseen" in source
    assert "if slot.latercall:" in source
    # The pause is set from response_downloaded, which must come before the slot is
    # processed again for the next request.
    download = _source(Downloader._download)
    signal_at = download.index("signal=signals.response_downloaded")
    assert signal_at < download.index("self._process_queue(slot)")


def _source(function: Any) -> str:
    import inspect

    return inspect.getsource(function)
