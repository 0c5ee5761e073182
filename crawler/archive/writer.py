"""Writing fetched HTTP exchanges to rotating, record-at-a-time gzip WARC files.

Each fetch becomes a ``response`` record followed by its ``request`` record (the order warcio
uses), and every file starts with a ``warcinfo`` record. Each record is its own gzip member,
flushed to the operating system as soon as it is written: a process killed outright (SIGKILL)
leaves every record written before readable, and at worst one truncated member at the end of
the file, which :func:`crawler.archive.verify.verify` reports. Files are fsynced when rotated
and on :meth:`WarcWriter.close`, not per record.
"""

from __future__ import annotations

import contextlib
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
    body: bytes
    """The body as stored: after content decoding if the caller decoded it (see
    :func:`decoded_response_headers`)."""

    reason: str = ""
    """Reason phrase; empty means the standard one for ``status``."""

    protocol: str = "HTTP/1.1"
    method: str = "GET"
    request_headers: Sequence[tuple[str, str]] = ()
    request_body: bytes = b""
    date: datetime | None = None
    """When the response arrived; ``None`` means now."""

    ip_address: str | None = None
    """Recorded as ``WARC-IP-Address`` when given."""

    warc_headers: Mapping[str, str] = field(default_factory=dict)
    """Extra WARC header fields for the response record."""


def decoded_response_headers(
    headers: Sequence[tuple[str, str]],
    body_length: int,
    *,
    wire_headers: Sequence[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """Response headers made true of a body stored after de-chunking and content decoding.

    ``headers`` are the response's headers as the caller has them (after decoding: a
    ``Content-Encoding`` still there names codings the body is still in, and is kept);
    ``wire_headers``, when known, are the headers as received. ``Transfer-Encoding`` is
    dropped and ``Content-Length`` set to ``body_length``; what changed is kept in
    ``X-Archive-Orig-*`` headers (the convention of pywb and other web-archive tools):
    the received ``Content-Encoding`` when decoding removed some of it, ``Transfer-Encoding``
    and a ``Content-Length`` that differs from the stored body's length.
    """

    def values(source: Sequence[tuple[str, str]], name: str) -> list[str]:
        return [v for n, v in source if n.lower() == name]

    received = wire_headers if wire_headers is not None else headers
    notes: list[tuple[str, str]] = []
    wire_encoding = values(received, "content-encoding")
    if (
        wire_encoding
        and wire_headers is not None
        and wire_encoding != values(headers, "content-encoding")
    ):
        notes.append((ORIG_HEADER_PREFIX + "Content-Encoding", ", ".join(wire_encoding)))
    notes.extend(
        (ORIG_HEADER_PREFIX + "Transfer-Encoding", v) for v in values(received, "transfer-encoding")
    )
    notes.extend(
        (ORIG_HEADER_PREFIX + "Content-Length", v)
        for v in values(received, "content-length")[:1]
        if v.strip() != str(body_length)
    )
    kept = [(n, v) for n, v in headers if n.lower() not in ("transfer-encoding", "content-length")]
    return [*kept, ("Content-Length", str(body_length)), *notes]


def _software() -> str:
    parts = []
    for dist in ("vn-news-archive", "warcio", "Scrapy"):
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


class _GzipMember:
    """File wrapper compressing everything written into one gzip member, ended on flush."""

    def __init__(self, out: BinaryIO, level: int) -> None:
        self._out = out
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)

    def write(self, data: bytes) -> None:
        self._out.write(self._compressor.compress(data))

    def flush(self) -> None:
        self._out.write(self._compressor.flush())
        self._out.flush()


class _RecordWriter(WARCWriter):  # type: ignore[misc]  # warcio is untyped
    """warcio's writer, one gzip member per record at :data:`COMPRESS_LEVEL`.

    warcio builds the records (headers, digests, lengths); this class only chooses the
    compression level, which warcio hard-codes to 9 when given ``gzip=True``.
    """

    def __init__(self, out: BinaryIO, level: int) -> None:
        super().__init__(out, gzip=False, warc_version="1.0")
        self._level = level

    def _write_warc_record(self, out: BinaryIO, record: Any) -> None:
        member = _GzipMember(out, self._level)
        super()._write_warc_record(member, record)


class WarcWriter:
    """Writes :class:`HttpExchange` s to ``<data_dir>/warc/<prefix>-<seq:05d>.warc.gz``.

    A file is created on the first write after opening or rotation (never appended to, never
    overwritten: an existing name moves the sequence number on) and closed once it reaches
    ``max_bytes``. Thread-safe.
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
            "software": _software(),
            "format": "WARC File Format 1.0",
            "hostname": socket.gethostname(),
            **(info or {}),
        }
        self.compress_level = compress_level
        self.files: list[str] = []
        """Every file written so far, relative to the data folder."""
        self.records_written = 0
        """Response records (fetches) written."""
        self.bytes_written = 0
        """Compressed bytes written, all records included."""
        self._lock = threading.Lock()
        self._seq = 0
        self._file: BinaryIO | None = None
        self._relpath = ""
        self._warc: _RecordWriter | None = None
        self._closed = False

    # -- public API --------------------------------------------------------------------------

    def write(self, exchange: HttpExchange) -> WarcLocation:
        """Archive one fetch; returns the location of its ``response`` record."""
        with self._lock:
            if self._closed:
                raise RuntimeError("WarcWriter is closed")
            if self._file is None:
                self._open_next()
            assert self._file is not None and self._warc is not None
            out, warc = self._file, self._warc
            start = out.tell()
            try:
                response = self._response_record(warc, exchange)
                warc.write_record(response)
                end_response = out.tell()
                warc.write_record(self._request_record(warc, exchange, response))
            except BaseException:
                self._undo(start)
                raise
            end = out.tell()
            self.records_written += 1
            self.bytes_written += end - start
            location = WarcLocation(self._relpath, start, end_response - start)
            if end >= self.max_bytes:
                self._close_file()
            return location

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

    @staticmethod
    def _response_record(warc: _RecordWriter, exchange: HttpExchange) -> Any:
        reason = exchange.reason or _reason(exchange.status)
        statusline = f"{exchange.status} {reason}".rstrip()
        protocol = exchange.protocol if exchange.protocol.startswith("HTTP/") else "HTTP/1.1"
        http_headers = StatusAndHeaders(
            statusline, list(exchange.response_headers), protocol=protocol
        )
        date = exchange.date or datetime.now(UTC)
        warc_headers = {"WARC-Date": datetime_to_iso_date(date.astimezone(UTC))}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        warc_headers.update(exchange.warc_headers)
        return warc.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )

    @staticmethod
    def _request_record(warc: _RecordWriter, exchange: HttpExchange, response: Any) -> Any:
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = list(exchange.request_headers)
        if not any(name.lower() == "host" for name, _ in headers) and parts.netloc:
            headers.insert(0, ("Host", parts.netloc))
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
        self._warc = _RecordWriter(out, self.compress_level)
        try:
            info = dict(self.info)
            info.setdefault("isPartOf", self.prefix)
            self._warc.write_record(self._warc.create_warcinfo_record(name, info))
        except BaseException:
            self._file = None
            self._warc = None
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
        with contextlib.suppress(OSError):
            out.flush()
        try:
            out.seek(offset)
            out.truncate()
            return
        except OSError:
            pass
        self._file = None
        self._warc = None
        with contextlib.suppress(OSError):
            out.close()

    def _close_file(self) -> None:
        out = self._file
        if out is None:
            return
        self._file = None
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
