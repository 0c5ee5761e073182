"""Raw web archive: every fetched response kept in gzip WARC files, readable and verifiable.

- :mod:`crawler.archive.writer`: :class:`WarcWriter`, writing fetches (as received, or as
  ``revisit`` records) to rotating files.
- :mod:`crawler.archive.reader`: :func:`read_record` (one response from its location, body
  decoded), :func:`iter_records` (a whole file).
- :mod:`crawler.archive.verify`: :func:`verify`, checking files and expected locations.
- :mod:`crawler.archive.revisits`: which re-fetches become ``revisit`` records.
- :mod:`crawler.archive.cdxj` and :mod:`crawler.archive.wacz`: the CDXJ index and WACZ
  packages of ``crawler archive index`` / ``crawler archive wacz``.
- :mod:`crawler.archive.extension`: :class:`WarcArchive`, the Scrapy extension (import it from
  there; it is not imported here so the rest works without a crawler).
"""

from __future__ import annotations

from crawler.archive._format import (
    ArchiveError,
    CorruptRecordError,
    RecordNotFoundError,
    TruncatedRecordError,
)
from crawler.archive.reader import ArchivedResponse, WarcRecord, iter_records, read_record
from crawler.archive.verify import ExpectedRecord, Problem, VerifyReport, verify
from crawler.archive.writer import Capture, HttpExchange, WarcLocation, WarcWriter, Written

__all__ = [
    "ArchiveError",
    "ArchivedResponse",
    "Capture",
    "CorruptRecordError",
    "ExpectedRecord",
    "HttpExchange",
    "Problem",
    "RecordNotFoundError",
    "TruncatedRecordError",
    "VerifyReport",
    "WarcLocation",
    "WarcRecord",
    "WarcWriter",
    "Written",
    "iter_records",
    "read_record",
    "verify",
]
