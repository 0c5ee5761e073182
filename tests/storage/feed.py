"""Feed items from a JSONL file through the real storage writer (a subprocess of the tests).

    python feed.py DB_URL ITEMS.jsonl [--batch N] [--delay SECONDS]

Each line is ``{"kind": "page" | "article" | "failure", ...fields}``. ``--delay`` sleeps
before every SQL statement, so a batch transaction takes long enough to be killed in the
middle. After each committed batch the script prints ``committed <operations>``; at the end
``done <counts as JSON>``.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("items")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()

    def engine() -> Engine:
        eng = db.make_engine(args.url)
        if args.delay:

            @event.listens_for(eng, "before_cursor_execute")
            def slow(*_: Any) -> None:
                time.sleep(args.delay)

        return eng

    committed = [0]

    def report(operations: int) -> None:
        committed[0] += operations
        print(f"committed {committed[0]}", flush=True)

    writer = StorageWriter(
        engine, batch_size=args.batch, spiders=["feed"], queue_size=10_000, on_commit=report
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
