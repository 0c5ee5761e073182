"""Packaging the archive as a WACZ file (Web Archive Collection Zipped).

A WACZ is a ZIP holding the WARC files (``archive/``, stored uncompressed so players can read
records by range), the CDXJ index (``indexes/index.cdxj``), the list of pages to open
(``pages/pages.jsonl``: here the archived articles), ``datapackage.json`` (every file with its
size and SHA-256) and ``datapackage-digest.json`` (the manifest's own SHA-256). Layout, ZIP
modes, pages and digests follow WACZ 1.2.0. The one thing that differs between 1.2.0 and
1.1.1 is two fields of ``datapackage.json``: 1.2.0 says ``"profile": "wacz"`` and drops
``wacz_version``; py-wacz 0.6.0, the reference validator (``wacz validate``), implements 1.1.1
and rejects that profile (frictionless cannot resolve it) and a missing ``wacz_version``. So
``wacz_version="1.1.1"`` (the default) writes ``"profile": "data-package"`` and
``"wacz_version": "1.1.1"``, which ``wacz validate`` accepts and ReplayWeb.page opens;
``wacz_version="1.2.0"`` writes the 1.2.0 fields.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crawler.archive.cdxj import INDEX_NAME, iter_index, warc_files, write_index
from crawler.archive.writer import WARC_SUBDIR, software

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

WaczVersion = Literal["1.1.1", "1.2.0"]
WACZ_VERSIONS: tuple[WaczVersion, ...] = ("1.1.1", "1.2.0")

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}


@dataclass(frozen=True)
class Page:
    """An archived page to list in ``pages.jsonl``: where its response record is."""

    url: str
    title: str | None
    warc_file: str
    """Relative to the data folder (``warc/<name>.warc.gz``)."""
    warc_offset: int
    id: str | None = None


@dataclass
class WaczSummary:
    """What :func:`write_wacz` packaged."""

    path: Path
    warc_files: int = 0
    index_lines: int = 0
    pages: int = 0
    pages_not_indexed: list[str] = field(default_factory=list)
    """URLs of pages whose record is not in the index (left out of ``pages.jsonl``)."""
    bytes: int = 0


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, "sha256:" + digest.hexdigest()


def _rfc3339(timestamp: str) -> str:
    """A CDXJ timestamp (``YYYYMMDDhhmmss``, UTC) as RFC 3339."""
    moment = datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_pages(index: Path, pages: Iterable[Page], out: Path, summary: WaczSummary) -> None:
    """``pages.jsonl``: the header line, then one line per page whose capture is in the index
    (``ts`` is its record's ``WARC-Date``, so players open exactly that capture)."""
    when: dict[tuple[str, int], str] = {}
    for entry in iter_index(index):
        when[(str(entry.fields.get("filename")), int(entry.fields.get("offset", -1)))] = (
            entry.timestamp
        )
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps(PAGES_HEADER, ensure_ascii=False) + "\n")
        for page in pages:
            name = page.warc_file.removeprefix(f"{WARC_SUBDIR}/")
            timestamp = when.get((name, page.warc_offset))
            if timestamp is None:
                summary.pages_not_indexed.append(page.url)
                continue
            line: dict[str, Any] = {"url": page.url, "ts": _rfc3339(timestamp)}
            if page.id is not None:
                line["id"] = page.id
            if page.title:
                line["title"] = page.title
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            summary.pages += 1


def write_wacz(
    data_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    pages: Iterable[Page],
    *,
    title: str = "Vietnamese provincial news archive",
    description: str = "",
    wacz_version: WaczVersion = "1.1.1",
) -> WaczSummary:
    """Package the archive of ``data_dir`` (every WARC file, a fresh CDXJ index of them and
    ``pages``) into the WACZ file ``output`` (written beside it, renamed when complete)."""
    if wacz_version not in WACZ_VERSIONS:
        raise ValueError(f"WACZ version must be one of {', '.join(WACZ_VERSIONS)}")
    target = Path(output)
    summary = WaczSummary(path=target)
    files = warc_files(data_dir)
    if not files:
        raise FileNotFoundError(f"no WARC files under {Path(data_dir) / WARC_SUBDIR}")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    with tempfile.TemporaryDirectory(prefix="wacz-") as work:
        index = Path(work) / INDEX_NAME
        summary.index_lines = write_index(data_dir, index)
        pages_file = Path(work) / "pages.jsonl"
        write_pages(index, pages, pages_file, summary)
        members: list[tuple[Path, str, int]] = [
            *((p, f"archive/{p.name}", zipfile.ZIP_STORED) for p in files),
            (index, f"indexes/{INDEX_NAME}", zipfile.ZIP_DEFLATED),
            (pages_file, "pages/pages.jsonl", zipfile.ZIP_DEFLATED),
        ]
        resources = []
        for path, arcname, _ in members:
            size, digest = _sha256(path)
            resources.append(
                {"name": Path(arcname).name.lower(), "path": arcname, "hash": digest, "bytes": size}
            )
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        package: dict[str, Any] = {"profile": "wacz" if wacz_version == "1.2.0" else "data-package"}
        if wacz_version == "1.1.1":
            package["wacz_version"] = "1.1.1"
        package.update(
            title=title,
            description=description or f"WARC files of {Path(data_dir).resolve()}",
            created=now,
            modified=now,
            software=software(),
            resources=resources,
        )
        manifest = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
        manifest_digest = {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(manifest).hexdigest(),
        }
        try:
            with zipfile.ZipFile(temporary, "w", allowZip64=True) as zf:
                for path, arcname, mode in members:
                    zf.write(path, arcname, compress_type=mode)
                zf.writestr("datapackage.json", manifest, compress_type=zipfile.ZIP_DEFLATED)
                zf.writestr(
                    "datapackage-digest.json",
                    json.dumps(manifest_digest, indent=2),
                    compress_type=zipfile.ZIP_DEFLATED,
                )
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)
    summary.warc_files = len(files)
    summary.bytes = target.stat().st_size
    return summary
