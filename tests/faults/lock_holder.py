"""A process that takes the crawl lock and sits on it: the stand-in for a crawl that died."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from crawler.lock import DatabaseLock
DatabaseLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(600)
"""


def hold_lock(database_url: str) -> subprocess.Popen[str]:
    """Start a process holding the crawl lock of ``database_url``; return once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder
