"""Reading archived responses back from the WARC files, without the network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.archive._format import (
    ArchiveError,
    CorruptRecordError,
    RecordNotFoundError,
    TruncatedRecordError,
    parse_record,
    read_member,
    scan_members,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator
    from datetime import datetime

    from crawler.archive.writer import WarcLocation

__all__ = [
    "ArchiveError",
    "ArchivedResponse",
    "CorruptRecordError",
    "RecordNotFoundError",
    "TruncatedRecordError",
    "WarcRecord",
    "iter_records",
    "read_record",
    "resolve",
]


@dataclass(frozen=True)
class ArchivedResponse:
    """An HTTP response as archived: what re-extraction and other readers use.

    ``body`` is the decoded body (``Content-Encoding`` undone by warcio's
    ``content_stream()``), ``payload`` the bytes as stored (as the server sent them), and
    ``headers`` the HTTP headers as archived (``Content-Type`` with its charset,
    ``Content-Encoding`` naming the coding of ``payload``). Records written before the archive
    kept wire bytes hold a decoded payload and say so with ``X-Archive-Orig-Content-Encoding``;
    for them ``body == payload``.
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    date: datetime
    record_id: str = ""
    payload: bytes = b""
    """The payload as stored (wire bytes); see the class docstring."""

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or ``None``."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def to_scrapy(self) -> Any:
        """A Scrapy response of the right class (``HtmlResponse`` for HTML...) for parsing."""
        from scrapy.http import Headers
        from scrapy.responsetypes import responsetypes

        headers = Headers()
        for name, value in self.headers:
            # The body is decoded: the coding and length of the stored payload do not apply.
            if name.lower() not in ("content-encoding", "content-length"):
                headers.appendlist(name, value)
        cls = responsetypes.from_args(headers=headers, url=self.url, body=self.body)
        return cls(url=self.url, status=self.status, headers=headers, body=self.body)


@dataclass(frozen=True)
class WarcRecord:
    """Any record of a WARC file, with where it lies in the file."""

    offset: int
    length: int
    type: str
    record_id: str
    url: str | None
    date: datetime | None
    warc_headers: tuple[tuple[str, str], ...]
    status: int | None
    """HTTP status of ``response`` records."""
    http_headers: tuple[tuple[str, str], ...] | None
    payload: bytes
    """The payload as stored."""
    body: bytes
    """The payload decoded (``Content-Encoding`` undone); see :class:`ArchivedResponse`."""

    def as_response(self) -> ArchivedResponse:
        """This ``response`` record as an :class:`ArchivedResponse`."""
        if (
            self.type != "response"
            or self.status is None
            or self.url is None
            or self.date is None
            or self.http_headers is None
        ):
            raise ValueError(f"the record at offset {self.offset} is not an HTTP response")
        return ArchivedResponse(
            url=self.url,
            status=self.status,
            headers=self.http_headers,
            body=self.body,
            date=self.date,
            record_id=self.record_id,
            payload=self.payload,
        )


def resolve(data_dir: str | os.PathLike[str], file: str) -> Path:
    """The path of an archive file named relative to the data folder (which it must stay in)."""
    root = Path(data_dir)
    path = root / file
    if Path(file).is_absolute() or not path.resolve().is_relative_to(root.resolve()):
        raise RecordNotFoundError(f"{file!r} is not a path inside the data folder")
    return path


def _record(offset: int, length: int, content: bytes, *, check: bool) -> WarcRecord:
    parsed = parse_record(content, check=check, decode=True)
    if check and parsed.problems:
        raise CorruptRecordError(f"record at offset {offset}: " + "; ".join(parsed.problems))
    return WarcRecord(
        offset=offset,
        length=length,
        type=parsed.rec_type,
        record_id=parsed.header("WARC-Record-ID") or "",
        url=parsed.url,
        date=parsed.date,
        warc_headers=tuple(parsed.warc_headers),
        status=parsed.status,
        http_headers=tuple(parsed.http_headers) if parsed.http_headers is not None else None,
        payload=parsed.payload,
        body=parsed.body if parsed.body is not None else parsed.payload,
    )


def read_record(
    data_dir: str | os.PathLike[str], location: WarcLocation, *, check: bool = False
) -> ArchivedResponse:
    """The response archived at ``location`` (as returned by the writer / stored in the DB):
    decoded body and archived headers (see :class:`ArchivedResponse`).

    Reads only that record. Raises :class:`RecordNotFoundError` when the file is absent, no
    record starts at the offset, the record there is not a response or its length differs from
    ``location.length`` (when that is non-zero); :class:`CorruptRecordError` when the record is
    damaged (with ``check``, digests and lengths are verified too).
    """
    path = resolve(data_dir, location.file)
    try:
        f = path.open("rb")
    except FileNotFoundError as exc:
        raise RecordNotFoundError(f"no archive file {location.file}") from exc
    with f:
        content, length = read_member(f, location.offset)
    if location.length and length != location.length:
        raise RecordNotFoundError(
            f"{location.file}@{location.offset}: the record there is {length} bytes long, "
            f"not {location.length}"
        )
    record = _record(location.offset, length, content, check=check)
    if record.type != "response":
        raise RecordNotFoundError(
            f"{location.file}@{location.offset} is a {record.type or 'untyped'} record, "
            "not a response"
        )
    try:
        return record.as_response()
    except ValueError as exc:
        raise CorruptRecordError(f"{location.file}@{location.offset}: {exc}") from exc


def iter_records(path: str | os.PathLike[str], *, check: bool = False) -> Iterator[WarcRecord]:
    """Every record of one WARC file, in order (``warcinfo``, ``response``, ``request``...).

    Raises :class:`CorruptRecordError` on reaching a damaged record, and
    :class:`TruncatedRecordError` on reaching an incomplete last record (after yielding every
    record before it). With ``check``, digests and lengths are verified too.
    """
    file = Path(path)
    with file.open("rb") as f:
        size = file.stat().st_size
        for member in scan_members(f, size):
            if member.error is not None:
                raise member.error
            assert member.content is not None
            yield _record(member.offset, member.length, member.content, check=check)
