"""Checking the WARC archive: every record readable and intact, every expected record there."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from crawler.archive._format import (
    CorruptRecordError,
    RecordNotFoundError,
    TruncatedRecordError,
    parse_record,
    scan_members,
)
from crawler.archive.reader import resolve
from crawler.archive.writer import WARC_SUBDIR, WarcLocation

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

ProblemKind = Literal["missing", "corrupt", "truncated"]


@dataclass(frozen=True)
class ExpectedRecord:
    """A record the database expects: where it should be and, if known, its URL."""

    location: WarcLocation
    url: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the archive.

    ``missing``: an expected record cannot be found (file absent, offset not the start of a
    record, a record of another type, length or URL mismatch). ``corrupt``: a record is
    damaged (gzip data, WARC headers, lengths, digests). ``truncated``: a file ends inside
    its last record, as a crashed writer leaves it; on its own it loses only that unfinished
    record, so it does not fail :attr:`VerifyReport.ok` (``strict`` aside).
    """

    kind: ProblemKind
    file: str
    offset: int | None
    message: str
    url: str | None = None

    def __str__(self) -> str:
        where = self.file if self.offset is None else f"{self.file}@{self.offset}"
        url = f" <{self.url}>" if self.url else ""
        return f"{self.kind}: {where}{url}: {self.message}"


@dataclass
class VerifyReport:
    """What :func:`verify` found."""

    files: int = 0
    records: int = 0
    """Readable records (of every type) in all files."""
    responses: int = 0
    bytes: int = 0
    """Total size of the files read."""
    expected: int | None = None
    """How many expected locations were checked (``None``: not given)."""
    problems: list[Problem] = field(default_factory=list)

    def of_kind(self, kind: ProblemKind) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]

    @property
    def missing(self) -> list[Problem]:
        return self.of_kind("missing")

    @property
    def corrupt(self) -> list[Problem]:
        return self.of_kind("corrupt")

    @property
    def truncated(self) -> list[Problem]:
        return self.of_kind("truncated")

    def is_ok(self, *, strict: bool = False) -> bool:
        """No missing or corrupt record (with ``strict``, no truncated file either)."""
        return not any(p.kind != "truncated" or strict for p in self.problems)

    @property
    def ok(self) -> bool:
        return self.is_ok()


@dataclass
class _Entry:
    """A record start found in a file."""

    length: int
    type: str | None = None
    url: str | None = None
    damage: str | None = None


def _capture_key(url: str | None, date: str | None, digest: str | None) -> bytes:
    """A compact key of a capture (URL, WARC-Date, payload digest), for revisit checks."""
    text = "\n".join((url or "", date or "", digest or ""))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass
class _Revisits:
    """The captures seen, and what each revisit record refers to."""

    captures: set[bytes] = field(default_factory=set)
    references: list[tuple[bytes, Problem]] = field(default_factory=list)


def _check_file(
    path: Path, name: str, report: VerifyReport, revisits: _Revisits
) -> dict[int, _Entry]:
    """Read every record of one file into ``report``; returns the record starts found."""
    entries: dict[int, _Entry] = {}
    try:
        f = path.open("rb")
    except OSError as exc:
        report.problems.append(Problem("corrupt", name, None, f"cannot open: {exc}"))
        return entries
    with f:
        size = path.stat().st_size
        report.files += 1
        report.bytes += size
        for member in scan_members(f, size):
            if member.error is not None:
                kind: ProblemKind = (
                    "truncated" if isinstance(member.error, TruncatedRecordError) else "corrupt"
                )
                report.problems.append(Problem(kind, name, member.offset, str(member.error)))
                entries[member.offset] = _Entry(member.length, damage=str(member.error))
                continue
            assert member.content is not None
            try:
                parsed = parse_record(member.content, check=True)
            except CorruptRecordError as exc:
                report.problems.append(Problem("corrupt", name, member.offset, str(exc)))
                entries[member.offset] = _Entry(member.length, damage=str(exc))
                continue
            entry = _Entry(member.length, parsed.rec_type, parsed.url)
            entries[member.offset] = entry
            report.records += 1
            if parsed.rec_type == "response":
                report.responses += 1
                revisits.captures.add(
                    _capture_key(
                        parsed.url, parsed.header("WARC-Date"), parsed.header("WARC-Payload-Digest")
                    )
                )
            elif parsed.rec_type == "revisit":
                refers_to = parsed.header("WARC-Refers-To-Target-URI")
                refers_date = parsed.header("WARC-Refers-To-Date")
                digest = parsed.header("WARC-Payload-Digest")
                revisits.references.append(
                    (
                        _capture_key(refers_to, refers_date, digest),
                        Problem(
                            "missing",
                            name,
                            member.offset,
                            f"revisit of {refers_to} at {refers_date} ({digest}): no such "
                            "response record in the archive",
                            parsed.url,
                        ),
                    )
                )
            if parsed.problems:
                entry.damage = "; ".join(parsed.problems)
                report.problems.append(
                    Problem(
                        "corrupt",
                        name,
                        member.offset,
                        f"{parsed.rec_type or 'untyped'} record: {entry.damage}",
                        parsed.url,
                    )
                )
    return entries


def _check_expected(
    name: str, entries: dict[int, _Entry] | None, wanted: list[ExpectedRecord]
) -> list[Problem]:
    problems: list[Problem] = []
    for item in wanted:
        loc, url = item.location, item.url
        if entries is None:
            problems.append(Problem("missing", name, loc.offset, "file not found", url))
            continue
        entry = entries.get(loc.offset)
        if entry is None:
            problems.append(
                Problem("missing", name, loc.offset, "no record starts at this offset", url)
            )
        elif entry.damage is not None and entry.type is None:
            problems.append(Problem("corrupt", name, loc.offset, f"damaged: {entry.damage}", url))
        elif entry.type != "response":
            problems.append(
                Problem("missing", name, loc.offset, f"a {entry.type} record, not a response", url)
            )
        elif loc.length and entry.length != loc.length:
            problems.append(
                Problem(
                    "missing",
                    name,
                    loc.offset,
                    f"record is {entry.length} bytes long, the database says {loc.length}",
                    url,
                )
            )
        elif url is not None and entry.url != url:
            problems.append(Problem("missing", name, loc.offset, f"record is for {entry.url}", url))
        elif entry.damage is not None:
            problems.append(Problem("corrupt", name, loc.offset, f"damaged: {entry.damage}", url))
    return problems


def verify(
    data_dir: str | os.PathLike[str],
    expected: Iterable[WarcLocation | ExpectedRecord] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Re-read every record of every file in ``<data_dir>/warc`` and check it.

    Each gzip member must decompress (CRC and size checks), hold one WARC record with the
    required headers, the length its ``Content-Length`` says, the closing CRLFs, and content
    matching its ``WARC-Block-Digest`` and ``WARC-Payload-Digest``. Damaged stretches are
    skipped to the next readable record, so one bad record hides nothing after it. Every
    ``revisit`` record must refer to a ``response`` record of the archive (same URL, date and
    payload digest); one that does not (its file deleted or damaged) is ``missing``.

    ``expected``, the locations the database holds (with the URL, as
    :class:`ExpectedRecord`, to check that too), are each looked up: a file that is absent, an
    offset that is not the start of a response record, another length or URL is ``missing``;
    a damaged record there is ``corrupt``. ``progress`` is called with each file's name before
    it is read.
    """
    root = Path(data_dir)
    report = VerifyReport()
    wanted: dict[str, list[ExpectedRecord]] = defaultdict(list)
    if expected is not None:
        count = 0
        for item in expected:
            record = item if isinstance(item, ExpectedRecord) else ExpectedRecord(item)
            wanted[record.location.file].append(record)
            count += 1
        report.expected = count
    warc_dir = root / WARC_SUBDIR
    names = (
        sorted(f"{WARC_SUBDIR}/{p.name}" for p in warc_dir.glob("*.warc.gz") if p.is_file())
        if warc_dir.is_dir()
        else []
    )
    names += sorted(set(wanted) - set(names))
    revisits = _Revisits()
    for name in names:
        try:
            path: Path | None = resolve(root, name)
        except RecordNotFoundError:
            path = None
        entries: dict[int, _Entry] | None = None
        if path is not None and path.is_file():
            if progress is not None:
                progress(name)
            entries = _check_file(path, name, report, revisits)
        if name in wanted:
            report.problems.extend(_check_expected(name, entries, wanted[name]))
    report.problems.extend(
        problem for key, problem in revisits.references if key not in revisits.captures
    )
    return report
