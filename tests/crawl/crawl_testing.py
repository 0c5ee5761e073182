"""Helpers of the end-to-end crawl tests: real crawls in a subprocess against the fake outlets."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Politeness off: these crawls only ever reach the project's own server on loopback.
FAST = (
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "ARCHIVE_RESPECT_CRAWL_DELAY=false",
    "-s", "ARCHIVE_RETRY_BACKOFF=0.05",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s", "LOG_LEVEL=INFO",
)  # fmt: skip


@dataclass
class CrawlResult:
    """What one ``crawler crawl`` subprocess did."""

    returncode: int
    stdout: str
    stderr: str

    def summary(self, outlet: str) -> dict[str, int]:
        """The numbers of an outlet's summary line."""
        for line in self.stdout.splitlines():
            if line.startswith(f"{outlet}: "):
                fields = line.split(": ", 1)[1].split(" (")[0].split()
                return {k: int(v) for k, v in (f.split("=") for f in fields)}
        raise AssertionError(f"no summary line for {outlet}:\n{self.stdout}\n{self.stderr[-3000:]}")


def crawler_env(data_dir: Path, mirrors_json: str, **extra: str) -> dict[str, str]:
    """Environment of a crawl subprocess: its data dir and the mirrors."""
    env = dict(os.environ)
    env.pop("ARCHIVE_DATABASE_URL", None)  # SQLite in the data dir unless the test says
    env.update(ARCHIVE_DATA_DIR=str(data_dir), ARCHIVE_MIRRORS=mirrors_json, **extra)
    return env


def crawl_command(*args: str, settings: dict[str, str] | None = None) -> list[str]:
    """The ``crawler`` command line (run with this interpreter), with ``-s`` settings."""
    extra = [arg for key, value in (settings or {}).items() for arg in ("-s", f"{key}={value}")]
    return [sys.executable, "-m", "crawler.cli", *FAST, *extra, "crawl", *args]


def run_crawl(
    data_dir: Path,
    mirrors_json: str,
    *args: str,
    timeout: float = 240,
    settings: dict[str, str] | None = None,
    **env: str,
) -> CrawlResult:
    """Run ``crawler crawl ARGS`` to completion (``settings`` as ``-s``, ``env`` added to the
    environment)."""
    completed = subprocess.run(
        crawl_command(*args, settings=settings),
        env=crawler_env(data_dir, mirrors_json, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    return CrawlResult(completed.returncode, completed.stdout, completed.stderr)


def run_cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``crawler ARGS`` (not a crawl) in a subprocess on the data dir."""
    environment = crawler_env(data_dir, "{}")
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def run_stats(data_dir: Path) -> tuple[int, dict[str, Any]]:
    """``crawler stats --json --no-history`` on the crawl's database: exit status and data."""
    completed = run_cli(data_dir, "stats", "--json", "--no-history")
    assert completed.stdout, completed.stderr[-3000:]
    return completed.returncode, json.loads(completed.stdout)


def query(data_dir: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the crawl's SQLite database."""
    connection = sqlite3.connect(f"file:{data_dir / 'archive.sqlite3'}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()
