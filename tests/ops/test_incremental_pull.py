"""Incremental pulls end to end, on SQLite and PostgreSQL: crawl the fake outlets, pull,
advance the outlets (new and edited articles; the crawl runs with two profiles broken by a
simulated template change), pull, re-extract with the fixed profiles, pull — each pull
checked field by field against the database and against what each step changed (read from
independent snapshots of the articles, not from the change log). Then: a second consumer,
``--changed-since``, a consumer killed mid-stream, and the partitioned dataset read back by
DuckDB, polars and pyarrow/pandas, equal to a full export.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from feed_testing import Archive, diff
from ops_testing import (
    BROKEN_PROFILES,
    ROOT,
    assert_rows_match,
    crawler_env,
    database,
    expected_rows,
)

from crawler.export.schema import BASE_COLUMNS, CHANGE_COLUMNS
from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OUTLETS = ("baohatinh", "baonghean", "baocantho")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def feed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    corpus = Corpus(articles_per_outlet=16, now=real_now(), outlets=OUTLETS)
    data_dir = tmp_path_factory.mktemp(f"feed-{request.param}")
    with database(request.param, data_dir) as url, FakeOutletServer(corpus) as server:
        archive = Archive(data_dir, url, server.mirrors_json)
        archive.crawl(*OUTLETS, "--since", "2019-01-01")
        yield archive, corpus


def _check(archive: Archive, rows: list[dict[str, Any]], ids: set[int], new: set[int]) -> None:
    """The pull's rows are exactly ``ids`` (stories), every field equal to the database, with
    the change columns right."""
    engine = archive.engine()
    try:
        expected = {i: r for i, r in expected_rows(engine, include_duplicates=False).items()}
    finally:
        engine.dispose()
    wanted = {i: expected[i] for i in ids if i in expected}
    base = [{k: v for k, v in r.items() if k in BASE_COLUMNS} for r in rows]
    assert_rows_match(base, wanted, list(BASE_COLUMNS))
    newest = archive.newest_changes()
    for row in rows:
        assert list(row)[-3:] == list(CHANGE_COLUMNS)
        assert row["change"] == ("new" if row["id"] in new else "update"), row["id"]
        change_id, changed_at = newest[row["id"]]
        assert row["change_id"] == change_id
        when = datetime.fromisoformat(row["changed_at"])
        assert when == changed_at and when.utcoffset() is not None
        assert when.utcoffset().total_seconds() == 7 * 3600


def test_pull_sequence(feed: Any, tmp_path: Path) -> None:
    archive, corpus = feed
    # 1. First pull of an archive: every story, all "new".
    stories = archive.stories()
    first = archive.pull("nlp", tmp_path / "p1.jsonl")
    assert len(first) == len(stories) > 40
    _check(archive, first, stories, new=stories)
    assert archive.pull("nlp", tmp_path / "p2.jsonl") == []  # nothing changed since

    # Also feed a partitioned dataset from another consumer at each step.
    lake = tmp_path / "lake"
    lake_args = ("--format", "parquet", "--partition", "outlet,month")
    done = archive.cli("export", "--consumer", "lake", *lake_args, "-o", str(lake))
    assert done.returncode == 0, done.stderr

    # 2. The outlets move on: k new articles, two edited ones; the crawl runs with the
    #    broken profiles (baohatinh's pages fail, baonghean's lose their sapo).
    before = archive.snapshot()
    edited = [corpus.synthetic("baonghean")[0].url, corpus.synthetic("baocantho")[0].url]
    added = {o: corpus.add_articles(o, 3) for o in OUTLETS}
    for url in edited:
        corpus.update_article(url)
    archive.crawl(*OUTLETS, PYTHONPATH=str(BROKEN_PROFILES))
    after = archive.snapshot()
    changed = diff(before, after) & archive.stories()
    new_ids = set(after) - set(before)
    by_url = _ids_by_url(archive)
    stored_new = {by_url[s.canonical_url] for o in ("baonghean", "baocantho") for s in added[o]}
    assert stored_new <= new_ids and not any(s.canonical_url in by_url for s in added["baohatinh"])
    assert {by_url[u] for u in edited} <= changed - new_ids
    assert len(changed) == 6 + 2  # k = 6 stored new stories, 2 edited: no more
    second = archive.pull("nlp", tmp_path / "p3.jsonl")
    _check(archive, second, changed, new=new_ids)
    assert {r["version"] for r in second if r["id"] in new_ids} == {1}
    assert {r["version"] for r in second if r["id"] not in new_ids} == {2}
    assert archive.pull("nlp", tmp_path / "p4.jsonl") == []
    done = archive.cli("export", "--consumer", "lake", *lake_args, "-o", str(lake))
    assert done.returncode == 0, done.stderr

    # 3. The profiles are fixed; re-extraction repairs the archive (new versions, and the
    #    failed baohatinh pages become articles). The pull carries exactly those.
    before = archive.snapshot()
    moment = datetime.now().astimezone()
    done = archive.cli("reextract", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    after = archive.snapshot()
    changed = diff(before, after) & archive.stories()
    new_ids = set(after) - set(before)
    assert summary["new_from_failed"] >= 3 and summary["changed"] >= 3
    assert {by_url.get(s.canonical_url) for s in added["baonghean"]} <= changed
    third = archive.pull("nlp", tmp_path / "p5.jsonl")
    _check(archive, third, changed, new=new_ids)
    assert all(r["version"] >= 2 for r in third if r["id"] not in new_ids)
    assert archive.pull("nlp", tmp_path / "p6.jsonl") == []

    # A one-off --changed-since pull taken before the re-extraction gives the same rows.
    out = tmp_path / "since.jsonl"
    done = archive.cli("export", "--changed-since", moment.isoformat(), "-o", str(out))
    assert done.returncode == 0, done.stderr
    from ops_testing import read_jsonl

    assert [r["id"] for r in read_jsonl(out)] == [r["id"] for r in third]

    # 4. A second consumer that never pulled gets the whole archive, once.
    everything = archive.stories()
    late = archive.pull("late", tmp_path / "late.jsonl")
    _check(archive, late, everything, new=everything)
    nlp, late_cp = archive.checkpoint("nlp"), archive.checkpoint("late")
    assert nlp.pulls == 6 and late_cp.pulls == 1
    assert nlp.last_change_id == late_cp.last_change_id  # both consumed the whole log

    # 5. The dataset fed by pulls: the latest row per article equals a full export.
    done = archive.cli("export", "--consumer", "lake", *lake_args, "-o", str(lake))
    assert done.returncode == 0, done.stderr
    full = tmp_path / "full.parquet"
    assert archive.cli("export", "-f", "parquet", "-o", str(full)).returncode == 0
    _same_as_full_export(lake, full, latest=True)
    manifest = json.loads((lake / "_dataset.json").read_text(encoding="utf-8"))
    assert [w["rows"] for w in manifest["writes"]] == [len(first), len(second), len(third)]


def _ids_by_url(archive: Archive) -> dict[str, int]:
    from sqlalchemy import select

    from crawler.storage import models

    engine = archive.engine()
    try:
        with engine.connect() as conn:
            a = models.Article
            return {u: int(i) for i, u in conn.execute(select(a.id, a.canonical_url))}
    finally:
        engine.dispose()


def _same_as_full_export(dataset: Path, full: Path, *, latest: bool) -> None:
    """DuckDB, polars and pyarrow read the dataset as one table equal to the full export."""
    import duckdb
    import polars as pl
    import pyarrow.dataset as pds
    import pyarrow.parquet as pq

    want = pq.read_table(full).sort_by("id").to_pylist()
    assert want
    columns = list(want[0])
    glob = f"{dataset}/**/*.parquet"
    dedup = "QUALIFY row_number() OVER (PARTITION BY id ORDER BY change_id DESC) = 1"
    con = duckdb.connect()
    rel = con.sql(
        f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true) "
        f"{dedup if latest else ''} ORDER BY id"
    )
    duck = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    frame = pl.scan_parquet(glob, hive_partitioning=True)
    if latest:
        frame = frame.sort("change_id").group_by("id").last()
    polars_rows = frame.sort("id").collect().to_dicts()
    table = pds.dataset(dataset, format="parquet", partitioning="hive").to_table()
    arrow_rows = sorted(table.to_pylist(), key=lambda r: (r["id"], r["change_id"]))
    if latest:
        arrow_rows = list({r["id"]: r for r in arrow_rows}.values())
    pandas_rows = (
        table.to_pandas().sort_values(["id", "change_id"]).drop_duplicates("id", keep="last")
    )
    assert list(pandas_rows["id"]) == [r["id"] for r in want]
    for name, got in (("duckdb", duck), ("polars", polars_rows), ("pyarrow", arrow_rows)):
        assert [r["id"] for r in got] == [r["id"] for r in want], name
        for row, expected in zip(got, want, strict=True):
            assert row["month"] == (
                expected["published_at"].strftime("%Y-%m") if expected["published_at"] else None
            ), name
            for column in columns:
                value, wanted = row[column], expected[column]
                if isinstance(wanted, datetime) and isinstance(value, datetime):
                    assert value == wanted, (name, row["id"], column)
                else:
                    assert value == wanted, (name, row["id"], column, value, wanted)


def test_full_partitioned_export_reads_back_as_the_full_export(feed: Any, tmp_path: Path) -> None:
    archive, _ = feed
    dataset = tmp_path / "ds"
    done = archive.cli("export", "--partition", "outlet,month", "-o", str(dataset))
    assert done.returncode == 0, done.stderr
    full = tmp_path / "full.parquet"
    assert archive.cli("export", "-o", str(full)).returncode == 0
    _same_as_full_export(dataset, full, latest=False)
    parts = sorted(p.relative_to(dataset).parts[:2] for p in dataset.rglob("*.parquet"))
    assert all(o.startswith("outlet=") and m.startswith("month=") for o, m in parts)
    assert len(parts) == len(set(parts)) > 10  # one file per partition per write
    again = archive.cli("export", "--partition", "outlet,month", "-o", str(dataset))
    assert again.returncode == 2 and "empty directory" in again.stderr


def test_a_consumer_killed_mid_stream_keeps_its_checkpoint(feed: Any) -> None:
    archive, _ = feed
    everything = archive.stories()
    env = crawler_env(archive.data_dir, "{}")
    env.update(archive.env())
    command = [sys.executable, "-m", "crawler.cli", "export", "--consumer", "pipe", "-o", "-"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, cwd=ROOT, text=True) as proc:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        assert all(json.loads(line)["id"] for line in lines)  # rows streamed before the kill
        assert proc.poll() is None  # still exporting: the pipe is full
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert archive.checkpoint("pipe") is None
    done = archive.cli("export", "--consumer", "pipe", "-o", "-")
    assert done.returncode == 0
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["id"] for r in rows} == everything
    assert archive.checkpoint("pipe").pulls == 1
