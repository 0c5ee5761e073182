"""``crawler extract``: run the extractor over stored pages, without a crawl.

``crawler extract PAGE.html [--url URL]`` prints one JSON object. ``crawler extract
--manifest LIST.jsonl`` reads lines ``{"path": ..., "url": ...}`` and prints one JSON line per
input, in order; an input that can't be read or parsed gives a line with an ``error`` field,
and the exit status is 1 at the end when any did.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.commands import Command
from crawler.extraction import PageParseError, extract
from crawler.extraction.dom import parse
from crawler.extraction.metadata import read_metadata

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings

_GZIP_MAGIC = b"\x1f\x8b"


class InputError(Exception):
    """One manifest line or page that cannot be processed."""


def read_page(path: Path) -> bytes:
    """The page's bytes, gunzipped when the file is gzip (``.html.gz`` fixtures)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path} is not valid gzip: {exc}") from exc
    return data


def page_url(html: bytes, path: Path) -> str:
    """The URL the page names for itself (canonical, og:url), else its file URL."""
    fallback = path.resolve().as_uri()
    root = parse(html)
    meta = read_metadata(root, fallback)
    return meta.canonical or meta.first("og:url") or fallback


def extract_one(path: Path, url: str | None) -> dict[str, Any]:
    """The article on one stored page as a JSON-ready dictionary."""
    html = read_page(path)
    try:
        article = extract(html, url or page_url(html, path))
    except PageParseError as exc:
        raise InputError(f"{path}: {exc}") from exc
    return article.to_dict()


def _resolve(raw: str, manifest: Path) -> Path:
    candidate = Path(raw)
    if candidate.is_absolute():
        return candidate
    # Relative paths are relative to the manifest, as a list shipped with its pages expects;
    # the working directory is the fallback for lists written by hand.
    beside = manifest.parent / candidate
    return beside if beside.exists() else candidate


def _manifest_line(line: str, number: int, manifest: Path) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except ValueError as exc:
        return {"line": number, "error": f"line {number} is not JSON: {exc}"}
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return {"line": number, "error": f'line {number} has no "path" string'}
    url = entry.get("url")
    if url is not None and not isinstance(url, str):
        return {"line": number, "path": entry["path"], "error": '"url" must be a string'}
    try:
        return extract_one(_resolve(entry["path"], manifest), url)
    except InputError as exc:
        return {"line": number, "path": entry["path"], "url": url, "error": str(exc)}
    except Exception as exc:  # one broken page must not stop the list
        message = f"extraction failed: {type(exc).__name__}: {exc}"
        return {"line": number, "path": entry["path"], "url": url, "error": message}


def run_manifest(manifest: Path) -> int:
    """Print one JSON line per manifest entry; 1 when any entry failed."""
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"crawler extract: cannot read manifest {manifest}: {exc}", file=sys.stderr)
        return 2
    failures = 0
    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        result = _manifest_line(line, number, manifest)
        failures += "error" in result
        print(json.dumps(result, ensure_ascii=False), flush=True)
    if failures:
        print(f"crawler extract: {failures} of {number} inputs failed", file=sys.stderr)
    return 1 if failures else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``PAGE`` or ``--manifest``, and ``--url``."""
    parser.add_argument("page", nargs="?", type=Path, help="an HTML file (.html or .html.gz)")
    parser.add_argument("--url", help="the page's real URL (selects the outlet profile)")
    parser.add_argument(
        "--manifest", type=Path, help='a JSONL file of {"path": ..., "url": ...} lines'
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Extract one page or every page of a manifest."""
    if (args.page is None) == (args.manifest is None):
        print("crawler extract: give either PAGE or --manifest LIST.jsonl", file=sys.stderr)
        return 2
    if args.manifest is not None:
        return run_manifest(args.manifest)
    try:
        result = extract_one(args.page, args.url)
    except InputError as exc:
        print(f"crawler extract: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


COMMAND = Command(
    name="extract",
    help="extract articles from stored HTML pages and print them as JSON",
    add_arguments=add_arguments,
    run=run,
)
