"""Which archived records this machine can check: a cluster's WARC files may live elsewhere.

Each worker of a shared crawl writes its own WARC files to its ``ARCHIVE_DATA_DIR``, which
may be a shared filesystem or each machine's own disk; the page rows (in the shared
database) say which file holds each response, and the crawl run that fetched it says on
which host. ``crawler archive verify`` checks the records whose file is here, and reports —
without failing — the files that are not here because another host wrote them. A file
missing that *this* host wrote is missing, as before.
"""

from __future__ import annotations

import socket
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from crawler.storage.tables import PAGES, RUNS

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.settings import Settings

    from crawler.archive.verify import ExpectedRecord


@dataclass
class Reach:
    """The expected records split by whether this machine can check them."""

    here: list[ExpectedRecord] = field(default_factory=list)
    """Records to verify: their file is here, or this host wrote it (absent: missing)."""
    elsewhere: dict[str, dict[str, int]] = field(default_factory=dict)
    """Host → file → records, for files absent here that other hosts wrote."""

    def summary(self) -> str | None:
        """One line on what could not be checked, or None."""
        if not self.elsewhere:
            return None
        records = sum(sum(files.values()) for files in self.elsewhere.values())
        files = sum(len(f) for f in self.elsewhere.values())
        hosts = ", ".join(f"{h} ({len(f)} files)" for h, f in sorted(self.elsewhere.items()))
        return (
            f"not reachable from this machine: {records} records in {files} WARC files written "
            f"on {hosts}; run `crawler archive verify` there, or share ARCHIVE_DATA_DIR"
        )


def file_hosts(settings: Settings) -> dict[str, str | None]:
    """The host whose crawl wrote each WARC file the pages name (empty when the database
    cannot say: every file then counts as this machine's)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from crawler.config import database_url

    # A plain engine, as the verify command's own reads: verifying never migrates a schema.
    engine = create_engine(database_url(settings))
    try:
        query = (
            select(PAGES.c.warc_file, RUNS.c.host)
            .select_from(PAGES.outerjoin(RUNS, RUNS.c.id == PAGES.c.run_id))
            .where(PAGES.c.warc_file.is_not(None))
            .distinct()
        )
        with engine.connect() as conn:
            return {str(file): host for file, host in conn.execute(query)}
    except SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def split(
    root: Path, expected: list[ExpectedRecord], hosts: dict[str, str | None], here: str = ""
) -> Reach:
    """Which of ``expected`` this machine (``here``: its host name) can check."""
    me = here or socket.gethostname()
    reach = Reach()
    elsewhere: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    present: dict[str, bool] = {}
    for record in expected:
        name = record.location.file
        if name not in present:
            present[name] = (root / name).is_file()
        host = hosts.get(name)
        if present[name] or host is None or host == me:
            reach.here.append(record)
        else:
            elsewhere[host][name] += 1
    reach.elsewhere = {h: dict(f) for h, f in elsewhere.items()}
    return reach
