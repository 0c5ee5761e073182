"""Helpers of the analysis-feed tests: an archive on SQLite or PostgreSQL crawled from the
fake outlets, pulls through the real CLI, and snapshots to tell what a crawl changed."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ops_testing import FAST, ROOT, crawler_env, read_jsonl, run_cli
from sqlalchemy import select

from crawler.storage import models
from crawler.storage.db import make_engine

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine


@dataclass
class Archive:
    """A data dir + database crawled from the fake outlets."""

    data_dir: Path
    url: str
    mirrors: str

    def engine(self) -> Engine:
        return make_engine(self.url)

    def env(self, **extra: str) -> dict[str, str]:
        return {"ARCHIVE_DATABASE_URL": self.url, **extra}

    def crawl(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``crawler crawl ARGS`` into this archive."""
        environment = crawler_env(self.data_dir, self.mirrors)
        environment.update(self.env(**env))
        command = [sys.executable, "-m", "crawler.cli", *FAST, "crawl", *args]
        done = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=300, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr[-4000:]
        return done

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``crawler ARGS`` (not a crawl) on this archive."""
        return run_cli(self.data_dir, *args, env=self.env(**env))

    def pull(self, consumer: str, out: Path, *extra: str) -> list[dict[str, Any]]:
        """One pull of ``consumer`` through the CLI, as rows."""
        done = self.cli("export", "--consumer", consumer, "-o", str(out), *extra)
        assert done.returncode == 0, done.stderr[-3000:]
        return read_jsonl(out)

    def snapshot(self) -> dict[int, tuple[int, str]]:
        """Every article's (version, content hash): what a write changes."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                a = models.Article
                query = select(a.id, a.version, a.content_hash)
                return {int(i): (int(v), str(h)) for i, v, h in conn.execute(query)}
        finally:
            engine.dispose()

    def stories(self) -> set[int]:
        """Ids of the articles that are neither exact nor near duplicates."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                a = models.Article
                query = select(a.id).where(a.duplicate_of.is_(None), a.near_duplicate_of.is_(None))
                return {int(i) for (i,) in conn.execute(query)}
        finally:
            engine.dispose()

    def newest_changes(self) -> dict[int, tuple[int, Any]]:
        """Per article: its newest change id and time."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                c = models.Change
                rows = conn.execute(select(c.article_id, c.id, c.recorded_at).order_by(c.id))
                return {int(a): (int(i), t) for a, i, t in rows}
        finally:
            engine.dispose()

    def checkpoint(self, name: str) -> Any:
        """The consumer's checkpoint row (None before its first pull)."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                e = models.ExportConsumer
                return conn.execute(select(e).where(e.name == name)).first()
        finally:
            engine.dispose()


def diff(before: dict[int, tuple[int, str]], after: dict[int, tuple[int, str]]) -> set[int]:
    """Articles new or changed between two snapshots."""
    return {i for i, state in after.items() if before.get(i) != state}
