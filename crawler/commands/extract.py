"""``crawler extract``: run the extractor over stored pages, without a crawl.

``crawler extract PAGE.html [--url URL]`` prints one JSON object. ``crawler extract
--manifest LIST.jsonl`` reads lines ``{"path": ..., "url": ...}`` and prints one JSON line per
input, in order; an input that can't be read or parsed gives a line with an ``error`` field,
and the exit status is 1 at the end when any did. A page that is not an article (a listing, a
soft 404, a video...) is still printed, with a ``not_article`` field saying what it is.

``crawler extract PAGE.html --explain`` prints, instead, how the page was read: for each field
the winning source and the candidates it beat, every block pruned from the body with the
rule that pruned it, and the blocks left in the body that still look like boilerplate (what
an operator runs when an outlet changes its template); ``--explain --json`` gives the same as
JSON. ``--content-type`` passes the HTTP header a live fetch would have had (its charset
outranks the page's ``<meta>``); ``--learned`` applies the boilerplate learned from the
archive (``crawler boilerplate learn``) for the page's outlet.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.commands import Command
from crawler.extraction import PageOutcome, PageParseError, extract_page
from crawler.extraction.dom import parse
from crawler.extraction.explain import format_explanation
from crawler.extraction.metadata import read_metadata

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from scrapy.settings import Settings

    from crawler.extraction import LearnedBoilerplate

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


def outcome_of(
    path: Path,
    url: str | None,
    content_type: str | None = None,
    learned: Callable[[str], LearnedBoilerplate | None] | None = None,
    thorough: bool = False,
) -> PageOutcome:
    """Extract and judge one stored page."""
    html = read_page(path)
    try:
        real_url = url or page_url(html, path)
    except PageParseError as exc:
        raise InputError(f"{path}: {exc}") from exc
    outcome = extract_page(
        html,
        real_url,
        content_type=content_type,
        learned=learned(real_url) if learned else None,
        thorough=thorough,
    )
    if outcome.extracted is None:
        raise InputError(f"{path}: {outcome.failure}")
    return outcome


def extract_one(path: Path, url: str | None) -> dict[str, Any]:
    """The article on one stored page as a JSON-ready dictionary (``not_article`` added when
    the page is not one)."""
    outcome = outcome_of(path, url)
    assert outcome.extracted is not None
    result = outcome.extracted.to_dict()
    if outcome.article is None:
        result["not_article"] = outcome.failure
    return result


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
    """``PAGE`` or ``--manifest``, ``--url``, ``--explain`` and its options."""
    parser.add_argument("page", nargs="?", type=Path, help="an HTML file (.html or .html.gz)")
    parser.add_argument("--url", help="the page's real URL (selects the outlet profile)")
    parser.add_argument(
        "--manifest", type=Path, help='a JSONL file of {"path": ..., "url": ...} lines'
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print how the page was read: sources of every field, pruned and suspicious blocks",
    )
    parser.add_argument("--json", action="store_true", help="with --explain: as JSON")
    parser.add_argument(
        "--content-type", help='the HTTP Content-Type header, e.g. "text/html; charset=utf-8"'
    )
    parser.add_argument(
        "--learned",
        action="store_true",
        help="apply the boilerplate learned from the archive for the page's outlet",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Extract one page or every page of a manifest."""
    if (args.page is None) == (args.manifest is None):
        print("crawler extract: give either PAGE or --manifest LIST.jsonl", file=sys.stderr)
        return 2
    if args.manifest is not None:
        return run_manifest(args.manifest)
    learned = _learned_loader(settings) if args.learned else None
    try:
        outcome = outcome_of(args.page, args.url, args.content_type, learned, args.explain)
    except InputError as exc:
        print(f"crawler extract: {exc}", file=sys.stderr)
        return 1
    assert outcome.extracted is not None and outcome.explanation is not None
    if args.explain and args.json:
        payload = {
            "article": outcome.extracted.to_dict(),
            "kind": outcome.kind,
            "not_article": outcome.failure,
            "explanation": outcome.explanation.to_json(),
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.explain:
        print(format_explanation(outcome))
    else:
        result = outcome.extracted.to_dict()
        if outcome.article is None:
            result["not_article"] = outcome.failure
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _learned_loader(settings: Settings) -> Callable[[str], LearnedBoilerplate | None]:
    """The archive's learned boilerplate, looked up by page URL."""
    from crawler.storage.boilerplate import load_learned
    from crawler.storage.db import engine_from_settings

    engine = engine_from_settings(settings)

    def lookup(url: str) -> LearnedBoilerplate | None:
        from crawler.extraction import outlet_key

        try:
            return load_learned(engine, outlet_key(url))
        finally:
            engine.dispose()

    return lookup


COMMAND = Command(
    name="extract",
    help="extract articles from stored HTML pages and print them as JSON",
    add_arguments=add_arguments,
    run=run,
)
