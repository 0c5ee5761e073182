"""The change log and consumers' pulls, on SQLite and PostgreSQL (real servers).

Includes the case a timestamp or id cursor gets wrong on PostgreSQL: two writers, the later
change id committing first while the earlier one is still open.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from crawler.export import ExportConflict, ExportFilter, ExportRequest, run_export
from crawler.export import run as export_run
from crawler.storage import consumers
from crawler.storage.tables import CHANGES, utcnow

from .conftest import OTHER_BODY, make_article, store, store_one

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

    from crawler.storage.repository import Repository


def _changes(engine: Engine) -> list[tuple[int, str, int | None]]:
    with engine.connect() as conn:
        query = select(CHANGES.c.article_id, CHANGES.c.kind, CHANGES.c.version).order_by(
            CHANGES.c.id
        )
        return [(int(a), str(k), v) for a, k, v in conn.execute(query)]


def _pull(engine: Engine, tmp_path: Path, consumer: str, **flt: Any) -> list[dict[str, Any]]:
    out = tmp_path / f"{consumer}.jsonl"
    run_export(engine, ExportRequest("jsonl", out, ExportFilter(**flt), consumer=consumer))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _distinct_body(seed: int) -> str:
    """A body sharing almost no word 3-shingle with another seed's (not a near duplicate)."""
    import random

    words = OTHER_BODY.split()
    random.Random(seed).shuffle(words)
    return " ".join(words)


def _checkpoint(engine: Engine, name: str) -> consumers.Checkpoint | None:
    with engine.connect() as conn:
        return consumers.get(conn, name)


def test_every_article_write_is_logged_in_its_transaction(engine: Engine, repo: Repository) -> None:
    a, b = store(
        engine,
        repo,
        make_article("https://baohatinh.vn/a-post1.html"),
        make_article("https://baohatinh.vn/b-post2.html"),  # same body: exact duplicate
    )
    c = store_one(engine, repo, make_article("https://baonghean.vn/c-1.html", body=OTHER_BODY))
    store_one(engine, repo, make_article("https://baohatinh.vn/a-post1.html"))  # unchanged
    d = store_one(engine, repo, make_article("https://baohatinh.vn/a-post1.html", title="Mới"))
    assert d.outcome == "updated" and d.version == 2
    assert _changes(engine) == [
        (a.article_id, "new", 1),
        (b.article_id, "new", 1),
        (c.article_id, "new", 1),
        (a.article_id, "version", 2),
    ]
    # A batch that rolls back leaves no change behind.
    with pytest.raises(RuntimeError), engine.begin() as conn:
        repo.store_article(
            conn, make_article("https://baohatinh.vn/z-9.html", body="x " * 90), None, utcnow()
        )
        raise RuntimeError("abort the batch")
    repo.rollback_caches()
    assert len(_changes(engine)) == 4


def test_pulls_export_exactly_what_changed_per_consumer(
    engine: Engine, repo: Repository, tmp_path: Path
) -> None:
    first = store(
        engine,
        repo,
        make_article("https://baohatinh.vn/a-post1.html"),
        make_article("https://baonghean.vn/c-1.html", body=OTHER_BODY),
    )
    rows = _pull(engine, tmp_path, "nlp")
    assert [(r["id"], r["change"], r["version"]) for r in rows] == [
        (first[0].article_id, "new", 1),
        (first[1].article_id, "new", 1),
    ]
    assert _pull(engine, tmp_path, "nlp") == []  # nothing new: nothing exported
    store_one(engine, repo, make_article("https://baohatinh.vn/a-post1.html"))  # unchanged
    assert _pull(engine, tmp_path, "nlp") == []
    updated = store_one(engine, repo, make_article("https://baohatinh.vn/a-post1.html", title="T"))
    new = store_one(
        engine,
        repo,
        make_article("https://baohatinh.vn/n-post7.html", body=_distinct_body(7)),
    )
    rows = _pull(engine, tmp_path, "nlp")
    by_id = {r["id"]: r for r in rows}
    assert new.outcome == "stored"
    assert sorted(by_id) == sorted([updated.article_id, new.article_id])
    assert by_id[new.article_id]["change"] == "new"
    assert by_id[updated.article_id]["change"] == "update"
    assert by_id[updated.article_id]["version"] == 2 and by_id[updated.article_id]["title"] == "T"
    # A second consumer starts from the beginning and sees the current state once.
    other = _pull(engine, tmp_path, "archive-mirror")
    assert {r["id"] for r in other} >= {first[0].article_id, first[1].article_id}
    assert all(r["change"] == "new" for r in other)
    assert next(r for r in other if r["id"] == updated.article_id)["title"] == "T"
    a, b = _checkpoint(engine, "nlp"), _checkpoint(engine, "archive-mirror")
    assert a is not None and b is not None and a.pulls == 4 and b.pulls == 1


def test_consumer_filters_are_fixed(engine: Engine, repo: Repository, tmp_path: Path) -> None:
    store(engine, repo, make_article("https://baohatinh.vn/a-post1.html"))
    assert len(_pull(engine, tmp_path, "ht", outlets=["baohatinh.vn"])) == 1
    with pytest.raises(ValueError, match="same filters"):
        _pull(engine, tmp_path, "ht", outlets=["baonghean.vn"])


def test_a_crash_mid_export_leaves_the_checkpoint(
    engine: Engine, repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [
        make_article(f"https://baohatinh.vn/a-post{i}.html", body=_distinct_body(i))
        for i in range(30)
    ]
    store(engine, repo, *items)
    _pull(engine, tmp_path, "nlp")
    before = _checkpoint(engine, "nlp")
    store_one(engine, repo, make_article("https://baohatinh.vn/a-post3.html", title="Sửa"))
    store_one(engine, repo, make_article("https://baohatinh.vn/a-post5.html", title="Sửa"))

    written: list[int] = []
    real = export_run.open_writer

    def failing_writer(fmt: str, path: Any, columns: Any) -> Any:
        writer = real(fmt, path, columns)
        original = writer.write

        def write(rows: list[dict[str, Any]]) -> None:
            original(rows)
            written.append(len(rows))
            raise KeyboardInterrupt("killed mid-export")

        writer.write = write  # type: ignore[method-assign]
        return writer

    monkeypatch.setattr(export_run, "open_writer", failing_writer)
    with pytest.raises(KeyboardInterrupt):
        _pull(engine, tmp_path, "nlp")
    assert written and written[0] == 2  # the fault hit after rows were written
    assert _checkpoint(engine, "nlp") == before
    assert not list(tmp_path.glob(".*.tmp-*"))
    monkeypatch.setattr(export_run, "open_writer", real)
    rows = _pull(engine, tmp_path, "nlp")  # the retry exports the same changes
    assert [r["title"] for r in rows] == ["Sửa", "Sửa"]
    after = _checkpoint(engine, "nlp")
    assert after is not None and before is not None and after.position > before.position


def test_a_concurrent_pull_cannot_advance_twice(
    engine: Engine, repo: Repository, tmp_path: Path
) -> None:
    store(engine, repo, make_article("https://baohatinh.vn/a-post1.html"))
    stale = None
    with engine.begin() as conn:
        consumers.advance(
            conn, "nlp", expected=None, position=0, last_change_id=None, rows=0,
            filters=ExportFilter().to_json(), now=utcnow(),
        )  # fmt: skip
        stale = consumers.get(conn, "nlp")
    _pull(engine, tmp_path, "nlp")
    with pytest.raises(ExportConflict):
        export_run._advance(
            engine, ExportRequest("jsonl", tmp_path / "x", consumer="nlp"), stale, 99, None, 0
        )


@pytest.mark.parametrize("new_db", ["postgresql"], indirect=True)
def test_postgresql_cursor_survives_out_of_order_commits(
    engine: Engine, repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (SQLite serialises writers: there, change ids commit in order.)
    import threading
    import time

    from crawler.storage import changes

    assert engine.dialect.name == "postgresql"
    early = engine.connect()
    late = engine.connect()
    try:
        t1 = early.begin()
        a = repo.store_article(
            early, make_article("https://baohatinh.vn/a-post1.html"), None, utcnow()
        )
        t2 = late.begin()
        b = repo.store_article(
            late, make_article("https://baonghean.vn/c-1.html", body=OTHER_BODY), None, utcnow()
        )
        t2.commit()  # the later change id commits first
        with engine.connect() as conn:
            visible = dict(conn.execute(select(CHANGES.c.article_id, CHANGES.c.id)).all())
        assert list(visible) == [b.article_id]  # a's change (the smaller id) is not visible

        # A pull cannot take its cut while the earlier writer may still commit: given a
        # second, it gives up without exporting or advancing anything...
        monkeypatch.setattr(changes, "CUT_POLL_SECONDS", 0.2)
        monkeypatch.setattr(changes, "CUT_WAIT_SECONDS", 1.0)
        with pytest.raises(changes.CutTimeout):
            _pull(engine, tmp_path, "nlp")
        assert _checkpoint(engine, "nlp") is None
        # ...and given time, it waits for that writer and then exports both.
        monkeypatch.setattr(changes, "CUT_WAIT_SECONDS", 60.0)
        pulled: list[list[dict[str, Any]]] = []
        worker = threading.Thread(target=lambda: pulled.append(_pull(engine, tmp_path, "nlp")))
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive() and not pulled  # waiting for the earlier transaction
        t1.commit()
        worker.join(timeout=60)
        assert not worker.is_alive()
        with engine.connect() as conn:
            ids = dict(conn.execute(select(CHANGES.c.article_id, CHANGES.c.id)).all())
        assert ids[a.article_id] < ids[b.article_id]
        assert sorted(r["id"] for r in pulled[0]) == sorted([a.article_id, b.article_id])
        assert _pull(engine, tmp_path, "nlp") == []
    finally:
        early.close()
        late.close()


def _dataset_ids(root: Path) -> list[int]:
    import pyarrow.dataset as pds

    if not root.exists():
        return []
    table = pds.dataset(root, format="parquet", partitioning="hive").to_table(columns=["id"])
    return sorted(table.column("id").to_pylist())


def test_an_interrupted_dataset_write_is_finished_by_the_next_export(
    engine: Engine, repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.export import dataset as ds

    results = store(
        engine,
        repo,
        *[
            make_article(
                f"https://{domain}/tin-{i}-post{i}.html",
                body=_distinct_body(i),
                published_at=f"2025-0{i + 1}-10T08:00:00+07:00",
            )
            for i, domain in enumerate(["baohatinh.vn", "baonghean.vn", "baohatinh.vn"])
        ],
    )
    ids = sorted(r.article_id for r in results)
    root = tmp_path / "lake"
    request = ExportRequest("parquet", root, consumer="lake", partition=["outlet", "month"])

    # 1. Killed while writing the parts: nothing visible, nothing advanced.
    real_write = ds.DatasetWriter.write

    def dying_write(self: Any, rows: list[dict[str, Any]]) -> None:
        real_write(self, rows[:1])
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(ds.DatasetWriter, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        run_export(engine, request)
    monkeypatch.setattr(ds.DatasetWriter, "write", real_write)
    assert _dataset_ids(root) == [] and _checkpoint(engine, "lake") is None

    # 2. Killed after the parts were complete, while moving them into place.
    real_publish = ds.StagedWrite.publish

    def dying_publish(self: Any) -> None:
        first = self.info["parts"][0]
        (root / first).parent.mkdir(parents=True, exist_ok=True)
        self.staged(0).replace(root / first)
        raise KeyboardInterrupt("killed while publishing")

    monkeypatch.setattr(ds.StagedWrite, "publish", dying_publish)
    with pytest.raises(KeyboardInterrupt):
        run_export(engine, request)
    monkeypatch.setattr(ds.StagedWrite, "publish", real_publish)
    assert len(_dataset_ids(root)) == 1  # half of the write is visible...
    assert _checkpoint(engine, "lake") is None  # ...and the checkpoint did not move

    # 3. The next export finishes that write (and its checkpoint move) first.
    result = run_export(engine, request)
    assert result.recovered == 1 and result.rows == 0
    assert _dataset_ids(root) == ids  # every article exactly once
    checkpoint = _checkpoint(engine, "lake")
    assert checkpoint is not None and checkpoint.pulls == 2 and checkpoint.rows == 3
    assert not list(tmp_path.glob(".lake.staging-*"))
    manifest = json.loads((root / "_dataset.json").read_text(encoding="utf-8"))
    assert [w["rows"] for w in manifest["writes"]] == [3, 0]


def test_stats_show_what_each_consumer_has_waiting(
    engine: Engine, repo: Repository, tmp_path: Path
) -> None:
    from crawler.health import compute_health

    store(engine, repo, make_article("https://baohatinh.vn/a-post1.html"))
    _pull(engine, tmp_path, "nlp")
    _pull(engine, tmp_path, "late")
    store_one(engine, repo, make_article("https://baohatinh.vn/a-post1.html", title="Mới"))
    _pull(engine, tmp_path, "late")
    feeds = {c["name"]: c for c in compute_health(engine).to_json()["consumers"]}
    assert feeds["nlp"]["pending_changes"] == 1 and feeds["nlp"]["pulls"] == 1
    assert feeds["late"]["pending_changes"] == 0 and feeds["late"]["rows"] == 2
    assert feeds["late"]["pulled_at"].endswith("+07:00")


def test_the_migration_backfills_the_change_log(db_url: str, tmp_path: Path) -> None:
    """An archive written before the change log existed: every article gets its history as
    changes, so a consumer's first pull exports all of it."""
    from sqlalchemy import insert

    from crawler.storage import db
    from crawler.storage.tables import ARTICLES, OUTLETS, VERSIONS

    engine = db.make_engine(db_url, migrate=False)
    try:
        db.upgrade(engine, "0002")
        now = utcnow()
        with engine.begin() as conn:
            outlet = conn.execute(
                insert(OUTLETS)
                .values(domain="baohatinh.vn", first_seen=now)
                .returning(OUTLETS.c.id)
            ).scalar_one()
            for i, versions in enumerate([1, 2, 1], start=1):
                row = {
                    "canonical_url": f"https://baohatinh.vn/a-post{i}.html",
                    "url": f"https://baohatinh.vn/a-post{i}.html",
                    "outlet_id": outlet, "title": f"Bài {i}", "sapo": None, "body": "Nội dung",
                    "authors": [], "tags": [], "images": [], "version": versions,
                    "content_hash": f"h{i}", "first_seen": now, "last_seen": now,
                }  # fmt: skip
                article_id = conn.execute(
                    insert(ARTICLES).values(**row).returning(ARTICLES.c.id)
                ).scalar_one()
                for v in range(1, versions + 1):
                    conn.execute(
                        insert(VERSIONS).values(
                            article_id=article_id, version=v, url=row["url"], title=f"Bài {i}.{v}",
                            authors=[], tags=[], images=[], content_hash=f"h{i}{v}", created_at=now,
                        )
                    )  # fmt: skip
        db.upgrade(engine)
        assert [(k, v) for _, k, v in _changes(engine)] == [
            ("new", 1), ("new", 1), ("version", 2), ("new", 1),
        ]  # fmt: skip
        rows = _pull(engine, tmp_path, "first")
        assert [(r["id"], r["change"], r["version"]) for r in rows] == [
            (1, "new", 1), (2, "new", 2), (3, "new", 1),
        ]  # fmt: skip
    finally:
        engine.dispose()
