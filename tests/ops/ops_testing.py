"""Helpers of the operations tests (export, re-extract, stats, report, lock)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, select, text

from crawler.storage import models

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crawl"))
from crawl_testing import FAST, ROOT, crawler_env, run_crawl
from crawl_testing import run_cli as run_cli  # re-exported for the ops tests

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

__all__ = ["FAST", "ROOT", "crawler_env", "run_crawl"]

PG_URL = os.environ.get(
    "ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)  # fmt: skip
"""Headless Chromium, offline: nothing but the page itself is loaded."""


@contextmanager
def database(backend: str, data_dir: Path) -> Iterator[str]:
    """A fresh database of the backend: a SQLite file in ``data_dir``, or a new PostgreSQL
    schema (through ``search_path`` in the URL, so subprocesses reach it) dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / 'archive.sqlite3'}"
        return
    admin = create_engine(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium (which must be installed) with a throw-away profile."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium must be installed (apt-get install -y chromium)"
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


def render_dom(report: Path, profile: Path) -> str:
    """The DOM of an HTML file as headless Chromium builds it."""
    dumped = chromium(profile, "--dump-dom", report.as_uri())
    assert dumped.returncode == 0 and "</html>" in dumped.stdout, dumped.stderr[-2000:]
    return dumped.stdout


def screenshot(report: Path, shot: Path, profile: Path, size: str = "1400,1800") -> None:
    """A PNG of the page rendered by headless Chromium."""
    chromium(profile, f"--window-size={size}", f"--screenshot={shot}", report.as_uri())


BROKEN_PROFILES = Path(__file__).resolve().parent / "sitecustomize_broken"
"""PYTHONPATH entry whose sitecustomize.py swaps in deliberately wrong outlet profiles."""

TIMESTAMPS = ("published_at", "modified_at", "first_seen", "last_seen")
LISTS = ("authors", "tags", "images")


def expected_rows(engine: Engine, *, include_duplicates: bool) -> dict[int, dict[str, Any]]:
    """Every article as the export should give it, read independently through the models."""
    a = models.Article
    query = select(a, models.Outlet.domain).outerjoin(
        models.Outlet, models.Outlet.id == a.outlet_id
    )
    rows: dict[int, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            m = row._mapping
            if not include_duplicates and (
                m["duplicate_of"] is not None or m["near_duplicate_of"] is not None
            ):
                continue
            rows[m["id"]] = {
                "id": m["id"],
                "url": m["url"],
                "canonical_url": m["canonical_url"],
                "outlet": m["domain"],
                "title": m["title"],
                "sapo": m["sapo"],
                "body": m["body"],
                "authors": list(m["authors"] or []),
                "published_at": m["published_at"],
                "modified_at": m["modified_at"],
                "category": m["category"],
                "tags": list(m["tags"] or []),
                "images": list(m["images"] or []),
                "language": m["language"],
                "slug": m["slug"],
                "extractor_version": m["extractor_version"],
                "version": m["version"],
                "first_seen": m["first_seen"],
                "last_seen": m["last_seen"],
                "duplicate_of": m["duplicate_of"],
                "near_duplicate_of": m["near_duplicate_of"],
                "similarity": m["near_similarity"],
            }
    return rows


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        assert value.utcoffset() is not None
        return value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 7 * 3600
    return parsed


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL export, timestamps parsed."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            for key in TIMESTAMPS:
                if key in row:
                    row[key] = _time(row[key])
            rows.append(row)
    return rows


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV export, typed back (lists from JSON, ints, floats, timestamps)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for raw in csv.DictReader(f):
            row: dict[str, Any] = {}
            for key, value in raw.items():
                if key in TIMESTAMPS:
                    row[key] = _time(value)
                elif key in LISTS:
                    row[key] = json.loads(value)
                elif value == "":
                    row[key] = None
                elif key in ("id", "version", "duplicate_of", "near_duplicate_of"):
                    row[key] = int(value)
                elif key == "similarity":
                    row[key] = float(value)
                else:
                    row[key] = value
            rows.append(row)
    return rows


def read_parquet(path: Path) -> list[dict[str, Any]]:
    """Rows of a Parquet export."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    for row in rows:
        for key in TIMESTAMPS:
            if key in row:
                row[key] = _time(row[key])
    return rows


def assert_rows_match(
    got: list[dict[str, Any]], expected: dict[int, dict[str, Any]], columns: list[str]
) -> None:
    """Every exported row equals the database's, field by field; no row missing or extra."""
    assert [r["id"] for r in got] == sorted(expected), "rows differ (or not in id order)"
    for row in got:
        assert list(row) == columns
        want = expected[row["id"]]
        for column in columns:
            value, wanted = row[column], want[column]
            if column == "similarity" and value is not None:
                assert abs(value - wanted) < 1e-9
            else:
                assert value == wanted, (row["id"], column, value, wanted)
