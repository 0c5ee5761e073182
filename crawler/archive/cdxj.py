"""The archive's CDXJ index: one line per capture, what replay tools look URLs up in.

:func:`write_index` indexes every WARC file under ``ARCHIVE_DATA_DIR/warc`` with
cdxj-indexer (Webrecorder's, the indexer of pywb and py-wacz): for each ``response`` and
``revisit`` record a line ``<SURT url key> <14-digit timestamp> {json}`` with ``url``,
``mime``, ``status``, ``digest``, ``length``, ``offset`` and ``filename`` (the WARC file's
name, relative to the WARC folder), sorted by key and time. That is the index format of
pywb collections (``indexes/*.cdxj``) and of WACZ packages.

:func:`lookup` and :func:`replay` read it back: the captures of a URL, and the response a
capture stands for (a revisit resolved to the capture holding its payload).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import surt
from cdxj_indexer import CDXJIndexer

from crawler.archive._format import RecordNotFoundError
from crawler.archive.reader import read_record
from crawler.archive.writer import WARC_SUBDIR, WarcLocation

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator

    from crawler.archive.reader import ArchivedResponse

INDEX_SUBDIR = "indexes"
"""Folder of the index under ``ARCHIVE_DATA_DIR`` (as in a pywb collection)."""

INDEX_NAME = "index.cdxj"


@dataclass(frozen=True)
class CdxjEntry:
    """One line of the index."""

    urlkey: str
    timestamp: str
    """``YYYYMMDDhhmmss`` (UTC)."""
    fields: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.fields.get("url", ""))

    @property
    def digest(self) -> str:
        return str(self.fields.get("digest", ""))

    @property
    def is_revisit(self) -> bool:
        return self.fields.get("mime") == "warc/revisit"

    @property
    def location(self) -> WarcLocation:
        """The record's place, relative to the data folder."""
        return WarcLocation(
            f"{WARC_SUBDIR}/{self.fields['filename']}",
            int(self.fields["offset"]),
            int(self.fields["length"]),
        )

    @classmethod
    def parse(cls, line: str) -> CdxjEntry:
        """An entry from one index line."""
        urlkey, timestamp, data = line.rstrip("\n").split(" ", 2)
        return cls(urlkey, timestamp, json.loads(data))


def default_index(data_dir: str | os.PathLike[str]) -> Path:
    """``<data_dir>/indexes/index.cdxj``."""
    return Path(data_dir) / INDEX_SUBDIR / INDEX_NAME


def warc_files(data_dir: str | os.PathLike[str]) -> list[Path]:
    """The archive's WARC files, in name order."""
    folder = Path(data_dir) / WARC_SUBDIR
    return sorted(p for p in folder.glob("*.warc.gz") if p.is_file()) if folder.is_dir() else []


def write_index(data_dir: str | os.PathLike[str], output: str | os.PathLike[str]) -> int:
    """Index every WARC file of the archive into ``output`` (replaced atomically: written to a
    temporary file beside it, then renamed). Returns the number of lines."""
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    files = [str(p) for p in warc_files(data_dir)]
    try:
        with temporary.open("w", encoding="utf-8") as out:
            indexer = CDXJIndexer(out, files, sort=True, dir_root=str(Path(data_dir) / WARC_SUBDIR))
            indexer.process_all()
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    with target.open(encoding="utf-8") as f:
        return sum(1 for _ in f)


def url_key(url: str) -> str:
    """The SURT form of a URL, the index's sort key."""
    key: str = surt.surt(url)
    return key


def iter_index(index: str | os.PathLike[str]) -> Iterator[CdxjEntry]:
    """Every entry of an index file, in order."""
    with Path(index).open(encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("!"):
                yield CdxjEntry.parse(line)


def lookup(index: str | os.PathLike[str], url: str) -> list[CdxjEntry]:
    """The captures of ``url`` in the index, oldest first.

    WARC dates are to the second, so two captures of one second (a 500 and its retry) are
    ordered as they were written: by file, then offset."""
    key = url_key(url)
    found = [e for e in iter_index(index) if e.urlkey == key and e.url == url]
    return sorted(
        found, key=lambda e: (e.timestamp, e.fields.get("filename", ""), e.location.offset)
    )


def replay(
    data_dir: str | os.PathLike[str],
    index: str | os.PathLike[str],
    url: str,
    timestamp: str | None = None,
) -> ArchivedResponse:
    """The archived response of ``url`` closest to ``timestamp`` (default: the latest), read
    from its WARC record; a revisit is answered with the capture holding its payload (same URL
    and digest), as replay tools do. Raises :class:`RecordNotFoundError` when there is none."""
    captures = lookup(index, url)
    if not captures:
        raise RecordNotFoundError(f"{url} is not in the index {index}")
    if timestamp is None:
        chosen = captures[-1]
    else:
        chosen = min(captures, key=lambda e: abs(int(e.timestamp) - int(timestamp.ljust(14, "0"))))
    if chosen.is_revisit:
        originals = [e for e in captures if not e.is_revisit and e.digest == chosen.digest]
        if not originals:
            raise RecordNotFoundError(
                f"{url} at {chosen.timestamp} revisits a capture ({chosen.digest}) "
                "that is not in the index"
            )
        earlier = [e for e in originals if e.timestamp <= chosen.timestamp]
        chosen = earlier[-1] if earlier else originals[0]
    return read_record(data_dir, chosen.location)
