"""The whole-history report and ``crawler stats --json`` on a crawled archive with a coverage
gap inserted into the fake outlets' history and a template change in its last crawl.

Báo Cần Thơ publishes daily for 60 days except three consecutive days (the gap); the others
publish a few articles a year (never "daily"), and Báo Hà Tĩnh's last crawl runs with a
broken profile. The numbers are checked against the database and the data dir read
independently; the page is rendered in headless Chromium and a screenshot kept under
``test-artifacts/`` (ignored by git; the path is printed).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from ops_testing import BROKEN_PROFILES, ROOT, render_dom, run_cli, run_crawl, screenshot
from sqlalchemy import select

from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer
from crawler.fakeoutlets.sites import VN_TZ
from crawler.health import LOCAL
from crawler.storage import models
from crawler.storage.db import make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OUTLETS = ("baohatinh", "baonghean", "baocantho")
DAILY_DAYS = 60
GAP = (20, 19, 18)  # days before today without a Cần Thơ article


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    now = real_now()
    corpus = Corpus(articles_per_outlet=12, now=now, outlets=OUTLETS)
    today = now.astimezone(VN_TZ).date()
    gap_days = sorted(today - timedelta(days=n) for n in GAP)
    for n in range(DAILY_DAYS, 0, -1):
        day = today - timedelta(days=n)
        if day not in gap_days:
            moment = datetime.combine(day, time(9, 30), tzinfo=VN_TZ)
            corpus.add_articles("baocantho", 1, published_at=moment)
    data_dir = tmp_path_factory.mktemp("history")
    with FakeOutletServer(corpus) as server:
        first = run_crawl(data_dir, server.mirrors_json, *OUTLETS, "--since", "2019-01-01")
        assert first.returncode == 0, first.stderr[-3000:]
        corpus.add_articles("baohatinh", 8)
        broken = run_crawl(data_dir, server.mirrors_json, *OUTLETS, PYTHONPATH=str(BROKEN_PROFILES))
        assert broken.returncode == 0, broken.stderr[-3000:]
    yield {"data_dir": data_dir, "gap_days": gap_days, "today": today}


def _stats(archive: dict[str, Any]) -> dict[str, Any]:
    done = run_cli(archive["data_dir"], "stats", "--json")
    assert done.returncode == 3, done.stderr  # baohatinh's last run is flagged
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_gap_shows_in_stats_json(archive: dict[str, Any]) -> None:
    history = _stats(archive)["history"]
    by_name = {o["name"]: o for o in history["outlets"]}
    cantho = by_name["baocantho"]
    assert cantho["gaps"] == [
        {
            "start": archive["gap_days"][0].isoformat(),
            "end": archive["gap_days"][-1].isoformat(),
            "days": [d.isoformat() for d in archive["gap_days"]],
            "context_share": cantho["gaps"][0]["context_share"],
        }
    ]
    assert cantho["gaps"][0]["context_share"] >= 0.8 and cantho["gap_days"] == 3
    # Outlets that publish a few articles a year have empty days, not gaps.
    assert by_name["baohatinh"]["gaps"] == [] and by_name["baonghean"]["gaps"] == []


def test_months_health_and_storage_match_the_archive(archive: dict[str, Any]) -> None:
    data_dir: Path = archive["data_dir"]
    history = _stats(archive)["history"]
    by_name = {o["name"]: o for o in history["outlets"]}
    engine = make_engine(f"sqlite:///{data_dir / 'archive.sqlite3'}")
    try:
        with engine.connect() as conn:
            a, o = models.Article, models.Outlet
            rows = conn.execute(
                select(o.domain, a.published_at, a.first_seen)
                .join(o, o.id == a.outlet_id)
                .where(a.duplicate_of.is_(None), a.near_duplicate_of.is_(None))
            ).all()
            every_article = conn.execute(select(a.id)).all()
    finally:
        engine.dispose()
    months: Counter[tuple[str, str]] = Counter()
    for domain, published, _ in rows:
        if published is not None:
            months[(domain, published.astimezone(LOCAL).strftime("%Y-%m"))] += 1
    for outlet in by_name.values():
        got = {
            (outlet["domain"], m): n
            for m, n in zip(outlet["months"], outlet["per_month"], strict=True)
            if n
        }
        assert got == {k: v for k, v in months.items() if k[0] == outlet["domain"]}
    assert sum(by_name["baocantho"]["per_month"][-3:]) >= DAILY_DAYS - len(GAP)
    assert by_name["baohatinh"]["months"][0] <= "2020-01"  # the whole history, not 28 days

    # Health over time: the broken crawl is flagged, dated, and the month shows it.
    changes = by_name["baohatinh"]["template_changes"]
    assert len(changes) == 1 and changes[0]["bad"] >= 8 and changes[0]["share"] >= 0.5
    assert by_name["baonghean"]["template_changes"] == []  # a missing sapo is no health field
    assert any(m["flagged_runs"] == 1 for m in by_name["baohatinh"]["health"])
    assert by_name["baohatinh"]["profile_changes"]

    storage = history["storage"]
    warc = [f for f in (data_dir / "warc").rglob("*") if f.is_file()]
    assert storage["warc_files"] == len(warc)
    assert storage["warc_bytes"] == sum(f.stat().st_size for f in warc) > 0
    db_file = data_dir / "archive.sqlite3"
    assert storage["database_bytes"] >= db_file.stat().st_size > 0
    assert sum(storage["tables"].values()) <= storage["database_bytes"] + 4096
    assert storage["tables"]["articles"] > 0
    assert sum(g["articles"] for g in storage["growth"]) == len(every_article)
    assert sum(g["warc_bytes"] for g in storage["growth"]) <= storage["warc_bytes"]

    text = run_cli(data_dir, "stats")
    gap = archive["gap_days"]
    assert f"GAP baocantho: {gap[0].isoformat()} .. {gap[-1].isoformat()} (3 days" in text.stdout


def test_history_report_in_headless_chromium(archive: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    done = run_cli(archive["data_dir"], "report", "-o", str(report))
    assert done.returncode == 0, done.stderr
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://', "")
    dom = render_dom(report, tmp_path / "profile")
    gap_row = dom[dom.index('<tr class="gap-outlet" data-outlet="baocantho">') :]
    gap_row = gap_row[: gap_row.index("</tr>")]
    for day in archive["gap_days"]:
        assert day.isoformat() in gap_row
    assert dom.count('<tr class="gap-outlet"') == 1
    assert dom.count('<svg class="chart per-month"') == len(OUTLETS)
    assert dom.count('<svg class="chart health-history"') == len(OUTLETS)
    assert dom.count('<li class="template-change">') == 1
    card = dom[dom.index('<div id="health-history">') :]
    assert '<circle class="point bad"' in card
    assert 'id="storage"' in dom and 'id="growth"' in dom and 'id="per-year"' in dom

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "history-report.png"
    shot.unlink(missing_ok=True)
    screenshot(report, shot, tmp_path / "profile", size="1400,3600")
    assert shot.exists() and shot.stat().st_size > 20_000
    print(f"\nhistory report screenshot: {shot}")
    if os.environ.get("OPS_KEEP_REPORT"):
        shutil.copy(report, os.environ["OPS_KEEP_REPORT"])
