"""Write the expected extraction JSON of every stored fixture page, for review in the diff.

    python scripts/update_fixtures.py            # rewrite tests/fixtures/<outlet>/<case>.json
    python scripts/update_fixtures.py --check    # exit 1 if any expected JSON is out of date

The expected JSON is what the extractor returns today; ``git diff`` shows what a change to the
extractor or a profile did to every outlet, and tests/test_fixtures.py holds the result against
the hand-written source records.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

from crawler.extraction import extract

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
# Fields that change with every profile edit are checked for presence, not value.
VOLATILE = ("extractor_version",)


def expected_for(page: Path, url: str) -> dict[str, object]:
    """The extraction of one stored page, as written to its expected JSON."""
    article = extract(gzip.decompress(page.read_bytes()), url).to_dict()
    for key in VOLATILE:
        article.pop(key, None)
    return article


def page_url(page: Path) -> str:
    """The URL a fixture page was fetched from: its source record's, else its expected JSON's."""
    outlet, case = page.parent.name, page.name.removesuffix(".html.gz")
    source = FIXTURES / "sources" / outlet / f"{case}.json"
    for candidate in (source, page.with_name(f"{case}.json")):
        if candidate.exists():
            return str(json.loads(candidate.read_text(encoding="utf-8"))["url"])
    raise SystemExit(f"{page}: no source record or expected JSON names its URL")


def main() -> int:
    """Rewrite (or check) every expected JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args()
    stale = 0
    pages = sorted(FIXTURES.glob("*/*.html.gz"))
    for page in pages:
        target = page.with_name(page.name.removesuffix(".html.gz") + ".json")
        text = json.dumps(expected_for(page, page_url(page)), ensure_ascii=False, indent=2) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale += 1
        print(f"{'stale' if args.check else 'wrote'} {target.relative_to(FIXTURES.parent.parent)}")
        if not args.check:
            target.write_text(text, encoding="utf-8")
    print(f"{len(pages)} pages, {stale} {'stale' if args.check else 'updated'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
