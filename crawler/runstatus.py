"""What a crawl run did, told truthfully: its counts, its status and the exit code.

A run's numbers come from the crawler's stats (kept by the spider, the pipelines, the WARC
middleware and the storage writer) and, at its end, from the URL ledger (what is still due).
The status is the strictest that applies:

================  ===========================================================  ===========
status            meaning                                                      exit code
================  ===========================================================  ===========
``finished``      everything discovered was stored (or is gone or no article)  0
``partial``       the run ended normally, but pages could not be fetched or    1
                  stored, or URLs are still due (the next run takes them)
``interrupted``   stopped by Ctrl-C / SIGTERM; what was not stored is due      130
``failed``        stopped because the database or the archive became unusable  4
``killed``        the process died without closing the run (set by the next
                  run that starts)
================  ===========================================================  ===========

``crawler crawl`` exits with the worst code of its outlets (2 for bad usage, 75 when another
crawl holds the lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXIT_CODES = {"finished": 0, "partial": 1, "failed": 4, "interrupted": 130, "killed": 137}
"""Process exit status for each run status (worst wins when several outlets run)."""

STORAGE_FAILED = "storage_unavailable"
"""Close reason of a crawl stopped because its database became unusable."""

ARCHIVE_FAILED = "archive_unavailable"
"""Close reason of a crawl stopped because its WARC files could not be written."""

SHUTDOWN = "shutdown"
"""Scrapy's close reason after SIGINT / SIGTERM."""


def _total(stats: dict[str, Any], *keys: str) -> int:
    return sum(int(stats.get(key, 0) or 0) for key in keys)


@dataclass(frozen=True)
class RunCounts:
    """The numbers of one run."""

    fetched: int
    """Responses received (every kind of page, retries and redirects included)."""
    new: int
    """New stories stored."""
    updated: int
    """Known stories stored as a new version."""
    duplicates: int
    """New articles stored as exact or near duplicates."""
    rejected: int
    """Fetched pages that gave no article (not an article, no text): kept raw, counted."""
    failed: int
    """Pages that could not be fetched (any discovery path, after retries), operations the
    database refused or never received, responses that could not be archived."""
    pending: int
    """URLs of the run's scope still due in the ledger when it ended."""
    gone: int
    """URLs found gone for good (404, 410, off-site)."""
    waiting: int
    """The outlet's URLs that failed and wait for their retry (``ARCHIVE_RETRY_FAILED_AFTER``,
    growing per failure) or were given up: reported, due again by themselves."""

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> RunCounts:
        """The counts in a crawler's stats (see the module docstring for the keys)."""
        return cls(
            fetched=_total(stats, "response_received_count"),
            new=_total(stats, "archive/store/stored"),
            updated=_total(stats, "archive/store/updated"),
            duplicates=_total(stats, "archive/store/duplicate"),
            rejected=_total(stats, "archive/store/failed"),
            failed=_total(
                stats,
                "archive/fetch_failed",
                "archive/store/errors",
                "archive/store/lost_article",
                "archive/store/lost_failure",
                "warc/errors",
                "spider_exceptions/count",
            ),
            pending=_total(stats, "archive/ledger/due"),
            gone=_total(stats, "archive/gone"),
            waiting=_total(stats, "archive/ledger/failed"),
        )


def run_status(reason: str, counts: RunCounts) -> str:
    """The run's status from Scrapy's close reason and its counts."""
    if reason in (STORAGE_FAILED, ARCHIVE_FAILED):
        return "failed"
    if reason == SHUTDOWN:
        return "interrupted"
    if reason != "finished" or counts.failed or counts.pending:
        return "partial"
    return "finished"


def summary_line(name: str, stats: dict[str, Any]) -> str:
    """One line per outlet: what was fetched, stored, failed and left."""
    counts = RunCounts.from_stats(stats)
    status = stats.get("archive/run/status") or run_status(
        str(stats.get("finish_reason", "?")), counts
    )
    parts = " ".join(f"{key}={value}" for key, value in counts.__dict__.items())
    return f"{name}: {parts} (status: {status}; finish: {stats.get('finish_reason', '?')})"


def exit_code(statuses: list[str]) -> int:
    """The exit status of a crawl of several outlets: the worst of theirs."""
    codes = [EXIT_CODES.get(status, 1) for status in statuses] or [0]
    # Failed beats interrupted beats partial; any non-zero beats clean.
    for code in (4, 130, 137, 1):
        if code in codes:
            return code
    return max(codes)


def stop_crawl(crawler: Any, reason: str) -> None:
    """Close the crawler's spider with ``reason`` (from the reactor thread)."""
    from scrapy.utils.defer import deferred_from_coro

    engine = getattr(crawler, "engine", None)
    if engine is not None and getattr(engine, "spider", None) is not None:
        deferred_from_coro(engine.close_spider_async(reason=reason))


def stop_from_thread(crawler: Any, reason: str) -> None:
    """Close the crawler's spider with ``reason``, from any thread (e.g. the storage writer's).

    Scheduled on the reactor; a spider already closing is left alone."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    def close() -> None:
        engine = getattr(crawler, "engine", None)
        if engine is None or getattr(engine, "spider", None) is None:
            return
        deferred_from_coro(engine.close_spider_async(reason=reason))

    reactor.callFromThread(close)
