"""The fault table of the README: every fault and hostile case, run for real, in one go.

    python -m benchmarks.fault_table            # every case (about 10 minutes on 2 cores)
    python -m benchmarks.fault_table --only db  # the cases whose name contains "db"

Each case is a real ``crawler crawl`` subprocess against the project's fake outlets or the
independent hostile site (``tests/faults/hostile_site.py``), with the fault injected while it
runs (a fault front returning 503, a TCP proxy in front of PostgreSQL that resets or
black-holes connections, a tmpfs that fills up, signals), then one plain rerun. For each case
it prints: the articles a correct crawl stores, how many the faulty run stored, how many
after one rerun, duplicate rows, what the faulty run reported (its status line and exit
code) and how long it took. The same scenarios are asserted by ``tests/faults`` and
``tests/crawl/test_truthful_runs.py``; this prints their figures.

Needs PostgreSQL on 127.0.0.1:5432 (database ``test``) and the right to mount a tmpfs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "crawl"))

from crawl_testing import CrawlResult, crawl_command, crawler_env, query, run_crawl  # noqa: E402
from faulty_front import FaultyFront  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from crawler.extraction.dates import VIETNAM  # noqa: E402
from crawler.fakeoutlets.corpus import Corpus, real_now  # noqa: E402
from crawler.fakeoutlets.server import FakeOutletServer  # noqa: E402
from crawler.urls import canonicalize  # noqa: E402
from tests.faults.disk import small_tmpfs  # noqa: E402
from tests.faults.hostile_site import HostileSite  # noqa: E402
from tests.faults.lock_holder import hold_lock  # noqa: E402
from tests.faults.tcpproxy import TcpProxy  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

PG = os.environ.get(
    "ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SINCE = datetime(2019, 1, 1, tzinfo=VIETNAM)
QUICK = {"DOWNLOAD_TIMEOUT": "5", "RETRY_TIMES": "1", "ARCHIVE_RETRY_FAILED_AFTER": "0"}
DB_BOUNDS = {"ARCHIVE_DB_TIMEOUT": "3", "ARCHIVE_DB_OUTAGE_MAX": "40", "ARCHIVE_BATCH_SIZE": "20"}


@dataclass
class Row:
    """One line of the table."""

    case: str
    expected: int
    after_run: int
    after_rerun: int
    duplicates: int
    reported: str
    seconds: float


def _status(result: CrawlResult | subprocess.CompletedProcess[str] | Any) -> str:
    lines = [line for line in str(result.stdout).splitlines() if "(status:" in line]
    statuses = sorted({line.split("(status: ", 1)[1].split(";", 1)[0] for line in lines})
    failed = sum(
        int(x.split("=", 1)[1]) for line in lines for x in line.split() if x.startswith("failed=")
    )
    return f"{'/'.join(statuses) or '?'}, failed={failed}, exit {result.returncode}"


def _sqlite_articles(data_dir: Path) -> list[str]:
    try:
        return [u for (u,) in query(data_dir, "SELECT canonical_url FROM articles")]
    except Exception:
        return []


def _pg_articles(schema: str) -> list[str]:
    engine = create_engine(f"{PG}?options=-csearch_path%3D{schema}")
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT canonical_url FROM articles"))]
    except Exception:
        return []
    finally:
        engine.dispose()


def _in_schema(url: str, schema: str) -> str:
    return f"{url}?options=-csearch_path%3D{schema}"


def _expected(corpus: Corpus, outlets: tuple[str, ...]) -> set[str]:
    return {canonicalize(e.url) for o in outlets for e in corpus.entries(o) if e.published >= SINCE}


def _wait_until(count: Callable[[], int], at_least: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if count() >= at_least:
            return
        time.sleep(0.1)
    raise RuntimeError("the crawl ended before the fault could be injected")


def _row(
    case: str,
    expected: set[str],
    first: list[str],
    second: list[str],
    reported: str,
    seconds: float,
) -> Row:
    wanted = set(expected)
    return Row(
        case,
        len(wanted),
        len(set(first) & wanted),
        len(set(second) & wanted),
        len(second) - len(set(second)),
        reported,
        seconds,
    )


# --- the cases --------------------------------------------------------------------------------


def storm_503(work: Path) -> Row:
    outlets = ("baohaiphong",)
    corpus = Corpus(articles_per_outlet=60, outlets=outlets)
    with FakeOutletServer(corpus) as server, FaultyFront(server.origin) as front:
        front.fail(r"[27]\.html$")
        started = time.monotonic()
        first = run_crawl(
            work,
            front.mirrors(["baohaiphong.vn"]),
            *outlets,
            "--since",
            "2019-01-01",
            ARCHIVE_RETRY_FAILED_AFTER="0",
        )
        seconds = time.monotonic() - started
        after = _sqlite_articles(work)
        front.heal()
        run_crawl(
            work,
            front.mirrors(["baohaiphong.vn"]),
            *outlets,
            "--since",
            "2019-01-01",
            ARCHIVE_RETRY_FAILED_AFTER="0",
        )
    return _row(
        "503 storm on 1 in 5 article pages (found via sitemaps)",
        _expected(corpus, outlets),
        after,
        _sqlite_articles(work),
        _status(first),
        seconds,
    )


def late_publication(work: Path) -> Row:
    with HostileSite(articles=12) as site:
        origin = site.origin + "/"
        run_crawl(work, "{}", "--url", origin, settings=QUICK)
        late = site.publish_late(10)
        started = time.monotonic()
        second = run_crawl(work, "{}", "--url", origin, settings=QUICK)
        seconds = time.monotonic() - started
        after = _sqlite_articles(work)
        run_crawl(work, "{}", "--url", origin, settings=QUICK)
        expected = {canonicalize(u) for u in site.article_urls()}
    del late
    return _row(
        "10 stories published after a crawl, dated before it (independent site)",
        expected,
        after,
        _sqlite_articles(work),
        _status(second),
        seconds,
    )


def hostile_site(work: Path) -> Row:
    with HostileSite(articles=24) as site:
        site.switches.hostile_links = True
        origin = site.origin + "/"
        started = time.monotonic()
        first = run_crawl(work, "{}", "--url", origin, timeout=400, settings=QUICK)
        seconds = time.monotonic() - started
        after = _sqlite_articles(work)
        run_crawl(work, "{}", "--url", origin, timeout=400, settings=QUICK)
        expected = {canonicalize(u) for u in site.article_urls()}
    return _row(
        "hostile site: 20 MiB pages, slow, truncated, gzip/XML bombs, 120k sitemap, loops, "
        "429/503, 2,000-link listing, absurd dates",
        expected,
        after,
        _sqlite_articles(work),
        _status(first),
        seconds,
    )


def storm_429(work: Path) -> Row:
    settings = {**QUICK, "ARCHIVE_HOST_GIVE_UP_STREAK": "6", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
    with HostileSite(articles=30) as site:
        site.switches.latency = 0.15
        origin = site.origin + "/"

        def storm() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(_sqlite_articles(work)) < 8:
                time.sleep(0.1)
            site.storm(429, retry_after="1")

        trigger = threading.Thread(target=storm, daemon=True)
        trigger.start()
        started = time.monotonic()
        first = run_crawl(work, "{}", "--url", origin, settings=settings)
        seconds = time.monotonic() - started
        after = _sqlite_articles(work)
        site.calm()
        site.switches.latency = 0
        run_crawl(work, "{}", "--url", origin, settings=settings)
        expected = {canonicalize(u) for u in site.article_urls()}
    return _row(
        "429 storm mid-crawl (Retry-After honoured per host, then the host given up)",
        expected,
        after,
        _sqlite_articles(work),
        _status(first),
        seconds,
    )


def _pg_case(
    work: Path, name: str, fault: Callable[[TcpProxy, subprocess.Popen[str]], None], **settings: str
) -> Row:
    outlets = ("baohatinh", "baocantho")
    corpus = Corpus(articles_per_outlet=150, outlets=outlets)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with FakeOutletServer(corpus) as server, TcpProxy(5432) as proxy:
            url = f"{proxy.database_url()}?options=-csearch_path%3D{schema}"
            env = crawler_env(work, server.mirrors_json, ARCHIVE_DATABASE_URL=url)
            started = time.monotonic()
            process = subprocess.Popen(
                crawl_command(*outlets, "--since", "2019-01-01", settings=DB_BOUNDS | settings),
                env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            _wait_until(lambda: len(_pg_articles(schema)), 30, process)
            fault(proxy, process)
            out, _ = process.communicate(timeout=400)
            seconds = time.monotonic() - started
            result = subprocess.CompletedProcess(process.args, process.returncode, out, "")
            after = _pg_articles(schema)
            proxy.restore()
            run_crawl(
                work,
                server.mirrors_json,
                *outlets,
                "--since",
                "2019-01-01",
                settings=DB_BOUNDS,
                ARCHIVE_DATABASE_URL=url,
            )
        return _row(
            name, _expected(corpus, outlets), after, _pg_articles(schema), _status(result), seconds
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def db_outage(work: Path) -> Row:
    return _pg_case(
        work,
        "PostgreSQL outage of 8 s mid-crawl (connections reset, then refused)",
        lambda proxy, _: proxy.reset(refuse_for=8),
    )


def db_outage_too_long(work: Path) -> Row:
    return _pg_case(
        work,
        "PostgreSQL outage longer than ARCHIVE_DB_OUTAGE_MAX (6 s)",
        lambda proxy, _: proxy.reset(refuse_for=120),
        ARCHIVE_DB_OUTAGE_MAX="6",
    )


def db_silent(work: Path) -> Row:
    def fault(proxy: TcpProxy, _: subprocess.Popen[str]) -> None:
        proxy.blackhole()
        time.sleep(12)
        proxy.restore()

    return _pg_case(work, "PostgreSQL silent for 12 s (black-holed: no reset, no answer)", fault)


def db_silent_ctrl_c(work: Path) -> Row:
    def fault(proxy: TcpProxy, process: subprocess.Popen[str]) -> None:
        proxy.blackhole()
        time.sleep(2)
        process.send_signal(signal.SIGINT)

    return _pg_case(work, "Ctrl-C while PostgreSQL is silent", fault, ARCHIVE_DB_OUTAGE_MAX="300")


def _signal_case(work: Path, name: str, sig: signal.Signals, seed: int) -> Row:
    outlets = ("baohatinh", "baocantho", "baoquangtri")
    corpus = Corpus(articles_per_outlet=150, outlets=outlets, seed=seed)
    rng = random.Random(seed)
    with FakeOutletServer(corpus) as server:
        env = crawler_env(work, server.mirrors_json)
        started = time.monotonic()
        process = subprocess.Popen(
            crawl_command(*outlets, "--since", "2019-01-01"),
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        _wait_until(lambda: len(_sqlite_articles(work)), rng.randint(20, 150), process)
        process.send_signal(sig)
        out, _ = process.communicate(timeout=200)
        seconds = time.monotonic() - started
        after = _sqlite_articles(work)
        run_crawl(work, server.mirrors_json, *outlets, "--since", "2019-01-01")
        reported = _status(subprocess.CompletedProcess(process.args, process.returncode, out, ""))
        if sig == signal.SIGKILL:
            statuses = {s for (s,) in query(work, "SELECT status FROM crawl_runs")}
            marked = ", ".join(sorted(statuses - {"finished"}))
            reported = f"nothing (killed); next run marked it: {marked}"
    return _row(name, _expected(corpus, outlets), after, _sqlite_articles(work), reported, seconds)


def sigint(work: Path) -> Row:
    return _signal_case(work, "SIGINT at a random point (seed 11)", signal.SIGINT, 11)


def sigkill(work: Path) -> Row:
    return _signal_case(work, "SIGKILL at a random point (seed 5)", signal.SIGKILL, 5)


def disk_full(work: Path) -> Row:
    outlets = ("baohatinh", "baonghean")
    corpus = Corpus(articles_per_outlet=150, outlets=outlets)
    env = {"ARCHIVE_DATABASE_URL": f"sqlite:///{work / 'archive.sqlite3'}"}
    bigger = work / "data"
    with FakeOutletServer(corpus) as server:
        with small_tmpfs(1_500_000, work) as small:
            started = time.monotonic()
            first = run_crawl(small, server.mirrors_json, *outlets, "--since", "2019-01-01", **env)
            seconds = time.monotonic() - started
            shutil.copytree(small, bigger)
        after = _sqlite_articles(work)
        run_crawl(bigger, server.mirrors_json, *outlets, "--since", "2019-01-01", **env)
    return _row(
        "disk full under the WARC archive (1.5 MB tmpfs)",
        _expected(corpus, outlets),
        after,
        _sqlite_articles(work),
        _status(first),
        seconds,
    )


def stale_lock(work: Path) -> Row:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        direct = f"{PG}?options=-csearch_path%3D{schema}"
        with TcpProxy(5432) as proxy:
            holder = hold_lock(_in_schema(proxy.database_url(), schema))
            proxy.blackhole()
            os.kill(holder.pid, signal.SIGKILL)
            holder.communicate(timeout=30)
            corpus = Corpus(articles_per_outlet=10, outlets=("baohatinh",))
            with FakeOutletServer(corpus) as server:
                started = time.monotonic()
                result = run_crawl(
                    work,
                    server.mirrors_json,
                    "baohatinh",
                    "--since",
                    "2019-01-01",
                    ARCHIVE_DATABASE_URL=direct,
                )
                seconds = time.monotonic() - started
            stored = _pg_articles(schema)
        return _row(
            "crawl lock held by a crawl that died with its network (PostgreSQL)",
            _expected(corpus, ("baohatinh",)),
            stored,
            stored,
            _status(result),
            seconds,
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


CASES: dict[str, Callable[[Path], Row]] = {
    "storm_503": storm_503,
    "late_publication": late_publication,
    "hostile_site": hostile_site,
    "storm_429": storm_429,
    "db_outage": db_outage,
    "db_outage_too_long": db_outage_too_long,
    "db_silent": db_silent,
    "db_silent_ctrl_c": db_silent_ctrl_c,
    "sigint": sigint,
    "sigkill": sigkill,
    "disk_full": disk_full,
    "stale_lock": stale_lock,
}


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    started = time.monotonic()
    for name, case in CASES.items():
        if args.only not in name:
            continue
        work = Path(tempfile.mkdtemp(prefix=f"fault-{name}-"))
        try:
            row = case(work)
        except Exception as exc:  # a case that could not run is reported, never hidden
            row = Row(name, 0, 0, 0, 0, f"COULD NOT RUN: {type(exc).__name__}: {exc}", 0.0)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append(row)
        print(f"  {name}: {row}", file=sys.stderr, flush=True)
    columns = (
        "fault or hostile case",
        "articles expected",
        "stored after the run",
        "stored after one rerun",
        "duplicates",
        "what the run reported",
        "time",
    )
    print("| " + " | ".join(columns) + " |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for r in rows:
        cells = (r.case, r.expected, r.after_run, r.after_rerun, r.duplicates, r.reported)
        print("| " + " | ".join(str(c) for c in cells) + f" | {r.seconds:.0f} s |")
    lost = [r.case for r in rows if r.after_rerun < r.expected]
    dups = [r.case for r in rows if r.duplicates]
    print()
    print(
        f"lost after one rerun: {len(lost)} case(s) {lost}; duplicates: {len(dups)} case(s) {dups}"
    )
    print(f"(total {time.monotonic() - started:.0f} s, 2 cores; real_now={real_now().isoformat()})")
    return 1 if lost or dups else 0


if __name__ == "__main__":
    raise SystemExit(main())
