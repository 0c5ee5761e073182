"""Low-level reading of record-at-a-time gzip WARC files, shared by the reader and verifier.

Every record of an archive file is its own gzip member, so a record can be read from its
offset alone, and damage to one member does not hide the members after it: a scan that meets
a damaged member looks for the next member that decompresses cleanly and carries on.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b\x08"
"""The first bytes of a gzip member using deflate (the only method gzip defines)."""

CHUNK = 64 * 1024

RECORD_END = b"\r\n\r\n"
"""The two CRLFs that close every WARC record."""


class ArchiveError(Exception):
    """A WARC record could not be read."""


class RecordNotFoundError(ArchiveError):
    """The location does not lead to a record: no file, or no record starts at the offset."""


class CorruptRecordError(ArchiveError):
    """A record is there but damaged: bad gzip data, WARC headers, length or digest."""


class TruncatedRecordError(CorruptRecordError):
    """The file ends inside the record (typically the last record of a crashed writer)."""


def read_member(f: BinaryIO, offset: int) -> tuple[bytes, int]:
    """Decompress the gzip member starting at ``offset``: its content and compressed length.

    Raises :class:`RecordNotFoundError` when no gzip member starts there,
    :class:`TruncatedRecordError` when the file ends inside the member and
    :class:`CorruptRecordError` when zlib rejects the data (deflate error, CRC or size check).
    """
    f.seek(offset)
    head = f.read(len(GZIP_MAGIC))
    if head != GZIP_MAGIC:
        raise RecordNotFoundError(f"no gzip member starts at offset {offset}")
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    parts: list[bytes] = []
    consumed = 0
    chunk = head
    while True:
        try:
            parts.append(decompressor.decompress(chunk))
        except zlib.error as exc:
            raise CorruptRecordError(f"gzip member at offset {offset}: {exc}") from exc
        consumed += len(chunk)
        if decompressor.eof:
            break
        chunk = f.read(CHUNK)
        if not chunk:
            raise TruncatedRecordError(
                f"file ends inside the gzip member at offset {offset} "
                f"({consumed} bytes, member incomplete)"
            )
    return b"".join(parts), consumed - len(decompressor.unused_data)


def find_next_member(f: BinaryIO, start: int) -> tuple[int, bytes, int] | None:
    """The first offset ≥ ``start`` where a complete, valid gzip member begins.

    Returns ``(offset, content, compressed length)`` or ``None``. Used to resynchronise after
    a damaged member; a candidate counts only if it decompresses with a good CRC.
    """
    position = start
    carry = b""
    while True:
        f.seek(position)
        block = f.read(CHUNK)
        if not block:
            return None
        window = carry + block
        base = position - len(carry)
        index = window.find(GZIP_MAGIC)
        while index != -1:
            candidate = base + index
            try:
                content, length = read_member(f, candidate)
            except ArchiveError:
                index = window.find(GZIP_MAGIC, index + 1)
                continue
            return candidate, content, length
        carry = window[-(len(GZIP_MAGIC) - 1) :]
        position += len(block)


@dataclass
class Member:
    """One gzip member met while scanning a file: its content, or why it is unreadable."""

    offset: int
    length: int
    content: bytes | None = None
    error: CorruptRecordError | None = None


def scan_members(f: BinaryIO, size: int) -> Iterator[Member]:
    """Every gzip member of a file in order, resynchronising after damaged ones.

    A damaged stretch is reported as one :class:`Member` with ``error`` set, covering the bytes
    up to the next valid member; a damaged stretch that runs to the end of the file with the
    file ending inside a member gets a :class:`TruncatedRecordError`.
    """
    offset = 0
    while offset < size:
        try:
            content, length = read_member(f, offset)
        except ArchiveError as exc:
            found = find_next_member(f, offset + 1)
            end = found[0] if found else size
            if isinstance(exc, TruncatedRecordError) and found is None:
                error: CorruptRecordError = exc
            elif isinstance(exc, RecordNotFoundError):
                error = CorruptRecordError(f"bytes at offset {offset} are not a gzip member")
            elif isinstance(exc, CorruptRecordError):
                error = exc
            else:  # pragma: no cover - read_member raises nothing else
                error = CorruptRecordError(str(exc))
            yield Member(offset, end - offset, error=error)
            if found is None:
                return
            offset, content, length = found
        yield Member(offset, length, content=content)
        offset += length


@dataclass
class ParsedRecord:
    """The parts of one decompressed WARC record."""

    rec_type: str
    warc_headers: list[tuple[str, str]]
    http_protocol: str | None
    http_statusline: str | None
    http_headers: list[tuple[str, str]] | None
    payload: bytes
    """The payload as stored (for HTTP records: the body as received, in its
    ``Content-Encoding``)."""
    body: bytes | None = None
    """The payload decoded by warcio's ``content_stream()`` (``Content-Encoding`` and any
    chunking undone), when :func:`parse_record` was asked to ``decode``."""
    problems: list[str] = field(default_factory=list)
    """Length, structure and digest problems found (empty when ``check`` was off or all's well)."""

    def header(self, name: str) -> str | None:
        """A WARC header's value (case-insensitive), or ``None``."""
        lowered = name.lower()
        for key, value in self.warc_headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def url(self) -> str | None:
        return self.header("WARC-Target-URI")

    @property
    def date(self) -> datetime | None:
        return parse_warc_date(self.header("WARC-Date"))

    @property
    def status(self) -> int | None:
        if self.http_statusline is None or self.rec_type not in ("response", "revisit"):
            return None
        code = self.http_statusline.split(" ", 1)[0]
        return int(code) if code.isdigit() else None


def parse_warc_date(value: str | None) -> datetime | None:
    """A ``WARC-Date`` (W3C ISO 8601, UTC) as an aware datetime, or ``None`` if unparseable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_REQUIRED = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length")
_HTTP_TYPES = ("response", "request", "revisit")


def _load(content: bytes, *, check: bool) -> Any:
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    return loader.parse_record_stream(io.BytesIO(content), known_format="warc", check_digests=check)


_UNREADABLE = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, ValueError)


def decode_payload(content: bytes) -> bytes:
    """The payload of a decompressed WARC record as its HTTP headers say to read it: through
    warcio's ``content_stream()``, which undoes ``Content-Encoding`` (gzip, deflate, br) and
    chunking. A record stored decoded already (no ``Content-Encoding`` left in its headers, as
    this archive wrote them before keeping wire bytes: ``X-Archive-Orig-Content-Encoding``
    says what was removed) reads as stored."""
    try:
        record: Any = _load(content, check=False)
        body: bytes = record.content_stream().read()
    except _UNREADABLE as exc:
        raise CorruptRecordError(f"unreadable WARC record: {exc}".strip()) from exc
    return body


def parse_record(content: bytes, *, check: bool = True, decode: bool = False) -> ParsedRecord:
    """Parse one decompressed WARC record.

    With ``check``, also verifies what can go wrong inside a record that gzip accepted (a
    record rewritten and recompressed, or written wrongly): required WARC headers, the block
    length against ``Content-Length``, the closing CRLFs, the HTTP status line, and
    ``WARC-Block-Digest``/``WARC-Payload-Digest`` against the content; problems are listed in
    :attr:`ParsedRecord.problems`. Raises :class:`CorruptRecordError` when the WARC headers
    cannot be parsed at all. With ``decode``, :attr:`ParsedRecord.body` is filled in
    (:func:`decode_payload`).
    """
    try:
        record: Any = _load(content, check=check)
        payload: bytes = record.raw_stream.read()
    except _UNREADABLE as exc:
        raise CorruptRecordError(f"unreadable WARC record: {exc}".strip()) from exc
    warc_headers = [(str(k), str(v)) for k, v in record.rec_headers.headers]
    http = record.http_headers
    parsed = ParsedRecord(
        rec_type=str(record.rec_type or ""),
        warc_headers=warc_headers,
        http_protocol=str(http.protocol) if http else None,
        http_statusline=str(http.statusline) if http else None,
        http_headers=[(str(k), str(v)) for k, v in http.headers] if http else None,
        payload=payload,
        body=decode_payload(content) if decode else None,
    )
    if not check:
        return parsed
    problems = parsed.problems
    for name in _REQUIRED:
        if not parsed.header(name):
            problems.append(f"missing WARC header {name}")
    declared = parsed.header("Content-Length")
    if declared is not None and declared.isdigit():
        header_end = content.find(RECORD_END) + len(RECORD_END)
        available = len(content) - header_end
        if available < int(declared):
            problems.append(f"block ({available} bytes) shorter than its Content-Length {declared}")
        elif available != int(declared) + len(RECORD_END) or not content.endswith(RECORD_END):
            problems.append(
                f"record does not end with CRLF CRLF right after its {declared}-byte block"
            )
    elif declared is not None:
        problems.append(f"bad Content-Length {declared!r}")
    if parsed.date is None and parsed.header("WARC-Date"):
        problems.append(f"bad WARC-Date {parsed.header('WARC-Date')!r}")
    if parsed.rec_type in _HTTP_TYPES:
        if not parsed.url:
            problems.append("missing WARC-Target-URI")
        if parsed.rec_type == "response" and parsed.status is None:
            problems.append(f"bad HTTP status line {parsed.http_statusline!r}")
    if not parsed.header("WARC-Block-Digest"):
        problems.append("missing WARC-Block-Digest")
    if parsed.rec_type == "response" and not parsed.header("WARC-Payload-Digest"):
        problems.append("missing WARC-Payload-Digest")
    checker = record.digest_checker
    if checker is not None and checker.passed is False:
        problems.extend(str(p) for p in checker.problems)
    return parsed
