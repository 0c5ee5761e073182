"""Feed items from a JSONL file through the real storage writer (a subprocess of the tests).

    python feed.py DB_URL ITEMS.jsonl [--batch N] [--delay SECONDS] [--thread]

Each line is ``{"kind": "page" | "article" | "failure", ...fields}``. ``--delay`` sleeps
before every SQL statement, so a batch transaction takes long enough to be killed in the
middle. The writer writes from its child process, as in a crawl (``--thread``: from its
thread). After each committed batch the script prints ``committed <operations>``; at the end
``done <counts as JSON>``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import Engine, event

from crawler.items import Article
from crawler.storage import db
from crawler.storage.records import ExtractionFailure, PageRecord
from crawler.storage.writer import StorageWriter


def slow_engine(url: str, delay: float) -> Engine:
    """The engine, sleeping ``delay`` seconds before every statement (module level: the
    writer's child process unpickles it)."""
    eng = db.make_engine(url)
    if delay:

        @event.listens_for(eng, "before_cursor_execute")
        def slow(*_: Any) -> None:
            time.sleep(delay)

    return eng


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("items")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--thread", action="store_true", help="write from a thread")
    args = parser.parse_args()
    engine = functools.partial(slow_engine, args.url, args.delay)

    committed = [0]

    def report(operations: int) -> None:
        committed[0] += operations
        print(f"committed {committed[0]}", flush=True)

    writer = StorageWriter(
        engine,
        batch_size=args.batch,
        spiders=["feed"],
        queue_size=10_000,
        on_commit=report,
        process=not args.thread,
    )
    writer.start()
    with Path(args.items).open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            kind = record.pop("kind")
            if kind == "page":
                record["fetched_at"] = datetime.fromisoformat(record["fetched_at"])
                writer.submit("page", PageRecord(**record))
            elif kind == "article":
                writer.submit("article", Article(**record))
            else:
                writer.submit("failure", ExtractionFailure(**record))
    writer.close()
    print("done " + json.dumps(dict(writer.counts)), flush=True)
    return 1 if writer.counts.get("errors") or writer.fatal else 0


if __name__ == "__main__":
    raise SystemExit(main())
