"""Writing fetched HTTP exchanges to rotating, record-at-a-time gzip WARC files.

Each fetch becomes a ``response`` record followed by its ``request`` record (the order warcio
uses), or, when its payload is byte-identical to an earlier capture of the URL, a ``revisit``
record (identical-payload-digest profile: the HTTP headers and a reference to that capture,
no payload) followed by its ``request`` record. Every file starts with a ``warcinfo`` record.
Bodies are stored as the server sent them: in their ``Content-Encoding`` (gzip...), never in a
``Transfer-Encoding`` (the HTTP client has already undone chunking), so the payload digest is
that of the bytes on the wire and matches any other archive's capture of the same response.

Each record is its own gzip member, flushed to the operating system as soon as it is written:
a process killed outright (SIGKILL) leaves every record written before readable, and at worst
one truncated member at the end of the file, which :func:`crawler.archive.verify.verify`
reports. Files are fsynced when rotated and on :meth:`WarcWriter.close`, not per record.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import re
import socket
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import BinaryIO, Self

WARC_SUBDIR = "warc"
"""Folder of the WARC files under ``ARCHIVE_DATA_DIR``."""

DEFAULT_MAX_BYTES = 512 * 1024 * 1024

COMPRESS_LEVEL = 6
"""zlib level of each record's gzip member. warcio's own ``gzip=True`` uses 9, which costs
about three times the CPU for 2-3 % smaller files; the writer runs inline in the crawler's
reactor thread, so the cheaper level wins. The output format is identical."""

ORIG_HEADER_PREFIX = "X-Archive-Orig-"
"""Prefix under which header values that no longer describe the stored body are kept (the
convention of pywb and other web-archive tools)."""

WARC_VERSION = "1.0"
"""The WARC version written (warcio's ``1.0``: dates to the second)."""

SOURCE_URI_HEADER = "WARC-Source-URI"
"""WARC header naming where a response was really fetched from when that is not its
``WARC-Target-URI`` (a local mirror of the outlet); the convention of Webrecorder's warcit."""


def payload_digest(payload: bytes) -> str:
    """The ``WARC-Payload-Digest`` of a payload: ``sha1:`` and the base-32 SHA-1, as warcio
    and every other WARC tool write it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


@dataclass(frozen=True)
class WarcLocation:
    """Where a record lies: the file (relative to the data folder), the offset of the
    record's gzip member and the member's compressed length."""

    file: str
    offset: int
    length: int

    def as_dict(self) -> dict[str, str | int]:
        """The form stored in ``request.meta["warc"]``."""
        return {"file": self.file, "offset": self.offset, "length": self.length}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> WarcLocation:
        """The inverse of :meth:`as_dict`."""
        return cls(str(value["file"]), int(value["offset"]), int(value["length"]))


@dataclass(frozen=True)
class HttpExchange:
    """One fetch to archive: the request as sent and the response as the crawler got it."""

    url: str
    """The URL to record as ``WARC-Target-URI`` (the outlet's, even if a mirror served it)."""

    status: int
    response_headers: Sequence[tuple[str, str]]
    """The response headers as received (see :func:`archived_response_headers`)."""

    body: bytes
    """The payload as received: still in its ``Content-Encoding``, not transfer-encoded."""

    reason: str = ""
    """Reason phrase; empty means the standard one for ``status``."""

    protocol: str = "HTTP/1.1"
    method: str = "GET"
    request_headers: Sequence[tuple[str, str]] = ()
    request_body: bytes = b""
    date: datetime | None = None
    """When the response arrived; ``None`` means now."""

    ip_address: str | None = None
    """The address actually connected to, recorded as ``WARC-IP-Address`` when given."""

    host: str | None = None
    """The ``Host`` header actually sent (``host[:port]`` of the server connected to); ``None``
    means the netloc of ``url``. The HTTP client adds it, so it is not among
    ``request_headers``."""

    warc_headers: Mapping[str, str] = field(default_factory=dict)
    """Extra WARC header fields for the response (or revisit) record."""


@dataclass(frozen=True)
class Capture:
    """An archived response an identical later fetch can refer to with a ``revisit`` record."""

    url: str
    """Its ``WARC-Target-URI``."""

    date: datetime
    """Its ``WARC-Date`` (aware, UTC)."""

    digest: str
    """Its ``WARC-Payload-Digest`` (``sha1:<base32>``)."""

    location: WarcLocation
    """Where its ``response`` record is."""

    record_id: str | None = None
    """Its ``WARC-Record-ID`` when known (captures of the running crawl)."""


@dataclass(frozen=True)
class Written:
    """What :meth:`WarcWriter.write` wrote for one fetch."""

    location: WarcLocation
    """The record holding the payload: the new ``response`` record, or for a revisit the
    earlier capture's (what a reader of the page needs)."""

    record: WarcLocation
    """The record written for this fetch (``response`` or ``revisit``)."""

    date: datetime
    """The records' ``WARC-Date`` (aware, UTC, to the second)."""

    digest: str
    """The payload digest."""

    record_id: str
    """The ``WARC-Record-ID`` of the record written."""

    revisit_of: Capture | None = None
    """The capture a ``revisit`` record refers to; ``None`` for a ``response`` record."""


def archived_response_headers(
    headers: Sequence[tuple[str, str]], body_length: int
) -> list[tuple[str, str]]:
    """Response headers as received, made true of the stored payload.

    The payload is stored as received, so ``Content-Encoding`` is kept. ``Transfer-Encoding``
    is dropped (the HTTP client undid it; the WARC standard stores payloads without it), and a
    ``Content-Length`` that differs from the payload's length is replaced; the values dropped
    or replaced are kept under ``X-Archive-Orig-*`` (the convention of pywb and other
    web-archive tools).
    """
    out: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "transfer-encoding":
            notes.append((ORIG_HEADER_PREFIX + name, value))
        elif lowered == "content-length" and value.strip() != str(body_length):
            notes.append((ORIG_HEADER_PREFIX + name, value))
            out.append((name, str(body_length)))
        else:
            out.append((name, value))
    return [*out, *notes]


def software() -> str:
    """The ``software`` field of the ``warcinfo`` records: this project's version, then the
    libraries that fetched and wrote the records."""
    parts = []
    for dist in ("vn-news-archive", "Scrapy", "warcio"):
        try:
            parts.append(f"{dist}/{metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    return " ".join(parts)


def _safe_prefix(prefix: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", prefix).strip("._")
    return cleaned or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _GzipMemberSink:
    """The file object warcio's writer writes to: each record it writes becomes one gzip member
    of the archive file, compressed at the chosen level, ended by :meth:`end_member`.

    warcio's own ``gzip=True`` compresses at level 9; writing uncompressed records into this
    sink through warcio's public ``WARCWriter(..., gzip=False)`` lets the level be chosen
    without touching warcio's internals.
    """

    def __init__(self, out: BinaryIO, level: int) -> None:
        self._out = out
        self._level = level
        self._compressor: Any = None

    def write(self, data: bytes) -> None:
        if self._compressor is None:
            self._compressor = zlib.compressobj(self._level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        self._out.write(self._compressor.compress(data))

    def flush(self) -> None:
        """Nothing: warcio flushes after each record; the member is ended by the caller."""

    def end_member(self) -> None:
        """Close the current gzip member and hand it to the operating system."""
        if self._compressor is not None:
            self._out.write(self._compressor.flush())
            self._compressor = None
        self._out.flush()

    def discard(self) -> None:
        """Forget a member left unfinished by a failed write (the file is cut back)."""
        self._compressor = None


class WarcWriter:
    """Writes :class:`HttpExchange` s to ``<data_dir>/warc/<prefix>-<seq:05d>.warc.gz``.

    A file is created on the first write after opening or rotation (never appended to, never
    overwritten: an existing name moves the sequence number on) and closed once it reaches
    ``max_bytes``. ``info`` fields are added to each file's ``warcinfo`` record (``software``,
    ``format``, ``hostname`` and ``isPartOf`` are filled in). Thread-safe.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        prefix: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        info: Mapping[str, str] | None = None,
        compress_level: int = COMPRESS_LEVEL,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.data_dir = Path(data_dir)
        self.directory = self.data_dir / WARC_SUBDIR
        self.prefix = _safe_prefix(prefix or "")
        self.max_bytes = max_bytes
        self.info: dict[str, str] = {
            "software": software(),
            "format": f"WARC File Format {WARC_VERSION}",
            "hostname": socket.gethostname(),
            **(info or {}),
        }
        self.compress_level = compress_level
        self.files: list[str] = []
        """Every file written so far, relative to the data folder."""
        self.records_written = 0
        """Fetches written (``response`` and ``revisit`` records)."""
        self.revisits_written = 0
        """Fetches written as ``revisit`` records."""
        self.bytes_written = 0
        """Compressed bytes written, all records included."""
        self._lock = threading.Lock()
        self._seq = 0
        self._file: BinaryIO | None = None
        self._relpath = ""
        self._sink: _GzipMemberSink | None = None
        self._warc: WARCWriter | None = None
        self._closed = False

    # -- public API --------------------------------------------------------------------------

    def write(self, exchange: HttpExchange) -> WarcLocation:
        """Archive one fetch as a ``response`` record; the record's location."""
        return self.write_fetch(exchange).location

    def write_fetch(self, exchange: HttpExchange, *, revisit_of: Capture | None = None) -> Written:
        """Archive one fetch; what was written.

        With ``revisit_of`` (an earlier capture of the same payload: the caller compared
        :func:`payload_digest` s), a ``revisit`` record referring to it is written instead of a
        ``response`` record; its digest must be the payload's, or ``ValueError`` is raised.
        """
        digest = payload_digest(exchange.body)
        if revisit_of is not None and revisit_of.digest != digest:
            raise ValueError(
                f"{exchange.url}: payload digest {digest} is not {revisit_of.digest}, "
                "the digest of the capture it would revisit"
            )
        date = (exchange.date or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        with self._lock:
            if self._closed:
                raise RuntimeError("WarcWriter is closed")
            if self._file is None:
                self._open_next()
            assert self._file is not None and self._warc is not None
            out = self._file
            start = out.tell()
            try:
                first = self._fetch_record(self._warc, exchange, date, revisit_of)
                self._write(first)
                end_first = out.tell()
                self._write(self._request_record(self._warc, exchange, first))
            except BaseException:
                self._undo(start)
                raise
            end = out.tell()
            self.records_written += 1
            self.revisits_written += revisit_of is not None
            self.bytes_written += end - start
            record = WarcLocation(self._relpath, start, end_first - start)
            if end >= self.max_bytes:
                self._close_file()
        return Written(
            location=revisit_of.location if revisit_of is not None else record,
            record=record,
            date=date,
            digest=digest,
            record_id=str(first.rec_headers.get_header("WARC-Record-ID")),
            revisit_of=revisit_of,
        )

    def close(self) -> None:
        """Flush, fsync and close the current file; later writes raise ``RuntimeError``."""
        with self._lock:
            self._closed = True
            self._close_file()

    @property
    def current_file(self) -> str | None:
        """The file being written, relative to the data folder, if one is open."""
        return self._relpath if self._file is not None else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records -----------------------------------------------------------------------------

    def _write(self, record: Any) -> None:
        assert self._warc is not None and self._sink is not None
        self._warc.write_record(record)
        self._sink.end_member()

    @staticmethod
    def _fetch_record(
        warc: WARCWriter, exchange: HttpExchange, date: datetime, revisit_of: Capture | None
    ) -> Any:
        """The ``response`` record of a fetch, or its ``revisit`` record."""
        reason = exchange.reason or _reason(exchange.status)
        statusline = f"{exchange.status} {reason}".rstrip()
        protocol = exchange.protocol if exchange.protocol.startswith("HTTP/") else "HTTP/1.1"
        http_headers = StatusAndHeaders(
            statusline,
            archived_response_headers(exchange.response_headers, len(exchange.body)),
            protocol=protocol,
        )
        warc_headers = {"WARC-Date": datetime_to_iso_date(date)}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        warc_headers.update(exchange.warc_headers)
        if revisit_of is None:
            return warc.create_warc_record(
                exchange.url,
                "response",
                payload=io.BytesIO(exchange.body),
                length=len(exchange.body),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
        if revisit_of.record_id:
            warc_headers["WARC-Refers-To"] = revisit_of.record_id
        return warc.create_revisit_record(
            exchange.url,
            revisit_of.digest,
            revisit_of.url,
            datetime_to_iso_date(revisit_of.date.astimezone(UTC)),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )

    @staticmethod
    def _request_record(warc: WARCWriter, exchange: HttpExchange, response: Any) -> Any:
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [(n, v) for n, v in exchange.request_headers if n.lower() != "host"]
        host = exchange.host or parts.netloc
        if host:
            headers.insert(0, ("Host", host))
        http_headers = StatusAndHeaders(
            f"{exchange.method} {target} HTTP/1.1", headers, is_http_request=True
        )
        warc_headers = {
            "WARC-Date": response.rec_headers.get_header("WARC-Date"),
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        }
        return warc.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )

    # -- files -------------------------------------------------------------------------------

    def _open_next(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{self.prefix}-{self._seq:05d}.warc.gz"
            self._seq += 1
            try:
                out: BinaryIO = (self.directory / name).open("xb")
            except FileExistsError:
                continue
            break
        self._file = out
        self._relpath = f"{WARC_SUBDIR}/{name}"
        self._sink = _GzipMemberSink(out, self.compress_level)
        self._warc = WARCWriter(self._sink, gzip=False, warc_version=WARC_VERSION)
        try:
            info = dict(self.info)
            info.setdefault("isPartOf", self.prefix)
            self._write(self._warc.create_warcinfo_record(name, info))
        except BaseException:
            self._file = None
            self._sink = None
            self._warc = None
            # Closing flushes, which fails again on a full disk: the empty file must go anyway.
            with contextlib.suppress(OSError):
                out.close()
            (self.directory / name).unlink(missing_ok=True)
            raise
        self.files.append(self._relpath)
        self.bytes_written += out.tell()
        _fsync_dir(self.directory)

    def _undo(self, offset: int) -> None:
        """Cut a partly written record off the file, so the next record follows a whole one;
        if even that fails, give the file up (the next write starts a new one)."""
        out = self._file
        if out is None:
            return
        if self._sink is not None:
            self._sink.discard()
        with contextlib.suppress(OSError):
            out.flush()
        try:
            out.seek(offset)
            out.truncate()
            return
        except OSError:
            pass
        self._file = None
        self._sink = None
        self._warc = None
        with contextlib.suppress(OSError):
            out.close()

    def _close_file(self) -> None:
        out = self._file
        if out is None:
            return
        self._file = None
        self._sink = None
        self._warc = None
        try:
            out.flush()
            os.fsync(out.fileno())
        finally:
            out.close()


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable (no-op where directories can't be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
