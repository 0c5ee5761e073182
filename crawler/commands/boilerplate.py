"""``crawler boilerplate``: boilerplate learned from the archive.

crawler boilerplate learn                    # every outlet in the archive
crawler boilerplate learn --outlet baonghean # one outlet (repeatable); --sample N pages
crawler boilerplate show --outlet baonghean  # what was learned, most frequent first

Learning reads the outlet's newest archived article pages back from the WARC files (no
network) and stores the text blocks that recur on many of them (see
:mod:`crawler.storage.boilerplate`). Crawls learn again for the outlets they crawled. Then
``crawler reextract --outlet X`` applies what was learned to the articles already stored.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from crawler.commands import Command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``learn`` or ``show``, the outlets, the sample size."""
    parser.add_argument("action", choices=("learn", "show"), help="learn again, or show")
    parser.add_argument(
        "--outlet", action="append", default=[], metavar="X", help="outlet name or domain"
    )
    parser.add_argument(
        "--sample", type=int, default=None, help="newest article pages read per outlet"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Learn or show."""
    from crawler.commands.export import outlet_domains
    from crawler.config import data_dir
    from crawler.storage.boilerplate import SAMPLE_PAGES, learn, learned_blocks
    from crawler.storage.db import engine_from_settings

    try:
        outlets = outlet_domains(args.outlet)
    except ValueError as exc:
        print(f"crawler boilerplate: {exc}", file=sys.stderr)
        return 2
    engine = engine_from_settings(settings)
    try:
        if args.action == "show":
            if not outlets:
                print("crawler boilerplate show: name an --outlet", file=sys.stderr)
                return 2
            shown = {outlet: learned_blocks(engine, outlet) for outlet in outlets}
            if args.json:
                payload = {
                    outlet: [{"pages": p, "of": n, "text": t} for p, n, t in blocks]
                    for outlet, blocks in shown.items()
                }
                print(json.dumps(payload, ensure_ascii=False, indent=2))
            else:
                for outlet, blocks in shown.items():
                    print(f"{outlet}: {len(blocks)} learned blocks")
                    for pages, sample, text in blocks:
                        line = text if len(text) <= 100 else text[:97] + "..."
                        print(f"  {pages:>4}/{sample:<4} {line}")
            return 0
        summaries = learn(
            engine, data_dir(settings), outlets or None, sample=args.sample or SAMPLE_PAGES
        )
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([s.to_json() for s in summaries], ensure_ascii=False, indent=2))
    else:
        for s in summaries:
            print(
                f"{s.outlet}: {s.learned} blocks learned from {s.sampled} pages "
                f"(a block must appear on {s.threshold}; {s.unreadable} pages unreadable)"
            )
            for pages, text in s.examples[:5]:
                line = text if len(text) <= 90 else text[:87] + "..."
                print(f"  {pages:>4} pages: {line}")
    return 0


COMMAND = Command(
    name="boilerplate",
    help="learn boilerplate from the archive (text recurring on many pages), or show it",
    add_arguments=add_arguments,
    run=run,
)
