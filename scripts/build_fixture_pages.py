"""Render every article source record into its stored fixture page.

Reads ``tests/fixtures/sources/<outlet>/<case>.json`` and writes
``tests/fixtures/<outlet>/<case>.html.gz`` in the outlet's CMS template. Output is
deterministic (gzip mtime 0, no file name in the header), so re-running the script rewrites
nothing unless a record, an option or a renderer changed.

Usage: python scripts/build_fixture_pages.py [--check] [--root tests/fixtures]
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

from crawler.fakeoutlets import load_sources, render_page

ROOT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def gzip_bytes(data: bytes) -> bytes:
    """Gzip ``data`` reproducibly (mtime 0, empty file name, maximum compression)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def build(root: Path, check: bool = False) -> int:
    """Write (or with ``check`` only compare) every page; returns the number out of date."""
    stale = 0
    for source in load_sources(root / "sources"):
        target = root / source.outlet / f"{source.case}.html.gz"
        payload = gzip_bytes(render_page(source).encode("utf-8"))
        if target.exists() and target.read_bytes() == payload:
            continue
        stale += 1
        if check:
            print(f"out of date: {target}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
        print(f"wrote {target}")
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="fixtures directory")
    parser.add_argument("--check", action="store_true", help="only report out-of-date pages")
    args = parser.parse_args(argv)
    stale = build(args.root, check=args.check)
    if args.check and stale:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
