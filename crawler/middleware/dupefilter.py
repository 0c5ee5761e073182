"""Scrapy's request dupefilter, made safe for ``--resume`` after a hard kill.

With ``JOBDIR`` Scrapy remembers the fingerprint of every request it scheduled, so a resumed
crawl never asks for them again. After a clean stop (Ctrl-C) that is right: pending requests
were saved with the queue. After a SIGKILL it loses data: requests in flight, and pages whose
items were still waiting for the database, are remembered as seen and never fetched again.
This filter notices the unclean stop (a marker file it removes when it closes normally) and
then starts from an empty memory; the database decides what is already stored, so nothing is
fetched twice that was really kept, and nothing is lost.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.job import job_dir

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

RUNNING_MARKER = "crawl.running"
"""File in the job directory that exists while a crawl using it runs."""


class CrashSafeDupeFilter(RFPDupeFilter):
    """RFPDupeFilter that forgets its JOBDIR fingerprints after an unclean stop."""

    job_path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Check the previous run's marker, then build the filter as Scrapy does."""
        path = job_dir(crawler.settings)
        if path:
            marker = Path(path, RUNNING_MARKER)
            if marker.exists():
                logger.warning(
                    "the previous crawl in %s did not stop cleanly; its request memory is "
                    "dropped and the database decides what is already stored",
                    path,
                )
                Path(path, "requests.seen").unlink(missing_ok=True)
            marker.write_text(str(os.getpid()), encoding="utf-8")
        dupefilter = super().from_crawler(crawler)
        dupefilter.job_path = Path(path) if path else None
        return dupefilter

    def close(self, reason: str) -> None:
        """Close as Scrapy does and mark the stop as clean."""
        super().close(reason)
        if self.job_path is not None:
            (self.job_path / RUNNING_MARKER).unlink(missing_ok=True)
