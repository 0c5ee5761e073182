"""Fetch URLs through the project's real downloader stack, in a subprocess, and report what
happened to each: ``run_probe(urls, settings) -> ProbeResult``.

Requests are made as a spider makes them (no ``dont_filter``), so the scheduler's duplicate
filter applies; a request it drops (``request_dropped`` signal: no callback and no errback
ever follows) is reported as ``RequestDropped``.

The child runs Scrapy with the project's settings (``crawler/settings.py``: download
handlers, downloader middlewares, politeness) minus storage (no item pipelines, no page
ledger, no WARC), plus the overrides given. Each URL is one request with an errback, so
every outcome is a response status or an exception class with its message. Run directly:
``python -m tests.faults.probe_crawl CONFIG.json`` prints the result as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.http import Response
    from twisted.python.failure import Failure

ROOT = Path(__file__).resolve().parents[2]

STORAGE_OFF: dict[str, Any] = {
    "ITEM_PIPELINES": {},
    "EXTENSIONS": {
        "pipelines.pages.PageLedger": None,
        "crawler.archive.extension.WarcArchive": None,
    },
    "DOWNLOADER_MIDDLEWARES": {"crawler.archive.gate.ArchivedOnlyMiddleware": None},
}
FAST: dict[str, Any] = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "ARCHIVE_RESPECT_CRAWL_DELAY": False,
    "LOG_LEVEL": "INFO",
}


@dataclass(frozen=True)
class Outcome:
    """What became of one URL."""

    url: str
    status: int | None
    """The response's status (also for an HTTP error passed to the errback)."""

    error: str | None
    """The exception's class name, when the request failed."""

    message: str
    """The exception's message, or "" for a response."""

    size: int
    """Body bytes of the response (0 on failure)."""


@dataclass(frozen=True)
class ProbeResult:
    """Every outcome, the crawl's stats, its log and how long it took."""

    outcomes: list[Outcome]
    stats: dict[str, Any]
    log: str
    seconds: float

    def by_url(self) -> dict[str, list[Outcome]]:
        """Outcomes per URL (a URL may be listed more than once)."""
        grouped: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            grouped.setdefault(outcome.url, []).append(outcome)
        return grouped


def run_probe(
    urls: list[str], settings: dict[str, Any] | None = None, timeout: float = 180
) -> ProbeResult:
    """Fetch ``urls`` in a child Scrapy process with the project's settings plus ``settings``
    (``DOWNLOADER_MIDDLEWARES`` entries are merged into the project's)."""
    config = {"urls": urls, "settings": {**FAST, **(settings or {})}}
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "tests.faults.probe_crawl", json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    seconds = time.monotonic() - started
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise AssertionError(f"probe crawl failed ({completed.returncode}):\n{completed.stderr}")
    data = json.loads(lines[-1])
    outcomes = [Outcome(**o) for o in data["outcomes"]]
    return ProbeResult(outcomes, data["stats"], completed.stderr, seconds)


def _child(config: dict[str, Any]) -> dict[str, Any]:
    from scrapy import Request, Spider, signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    outcomes: list[dict[str, Any]] = []

    class Probe(Spider):
        name = "probe"

        @classmethod
        def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
            spider = super().from_crawler(crawler, *args, **kwargs)
            crawler.signals.connect(spider.dropped, signal=signals.request_dropped)
            return spider

        def dropped(self, request: Request, spider: Spider) -> None:
            """The scheduler refused it (a duplicate): no callback, no errback follows."""
            outcomes.append(
                {
                    "url": (request.meta.get("redirect_urls") or [request.url])[0],
                    "status": None,
                    "error": "RequestDropped",
                    "message": f"dropped by the scheduler: {request.url}",
                    "size": 0,
                }
            )

        async def start(self) -> AsyncIterator[Request]:
            for url in config["urls"]:
                yield Request(url, callback=self.done, errback=self.failed)

        def done(self, response: Response) -> None:
            outcomes.append(
                {
                    "url": (response.meta.get("redirect_urls") or [response.url])[0],
                    "status": response.status,
                    "error": None,
                    "message": "",
                    "size": len(response.body),
                }
            )

        def failed(self, failure: Failure) -> None:
            response = getattr(failure.value, "response", None)
            request = failure.request  # type: ignore[attr-defined]
            outcomes.append(
                {
                    "url": (request.meta.get("redirect_urls") or [request.url])[0],
                    "status": response.status if response is not None else None,
                    "error": type(failure.value).__name__,
                    "message": str(failure.value)[:500],
                    "size": 0,
                }
            )

    settings = get_project_settings()
    overrides = dict(STORAGE_OFF)
    overrides.update(config["settings"])
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares.update(STORAGE_OFF["DOWNLOADER_MIDDLEWARES"])
    middlewares.update(config["settings"].get("DOWNLOADER_MIDDLEWARES", {}))
    overrides["DOWNLOADER_MIDDLEWARES"] = middlewares
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Probe)
    hosts = sorted({urlsplit(u).hostname or "" for u in config["urls"]})
    process.crawl(crawler, allowed_domains=hosts)
    process.start()
    stats = {
        k: v if isinstance(v, (int, float, str, list, type(None))) else str(v)
        for k, v in (crawler.stats.get_stats() if crawler.stats else {}).items()
    }
    return {"outcomes": outcomes, "stats": stats}


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))), flush=True)
