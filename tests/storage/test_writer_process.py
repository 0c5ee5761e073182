"""The writer's child process: same results as the thread, and failures that never hang."""

from __future__ import annotations

import functools
import os
import signal
import time

from crawler.storage import db
from crawler.storage.records import PageRecord
from crawler.storage.runs import is_running
from crawler.storage.tables import utcnow
from crawler.storage.worker import WriterProcess
from crawler.storage.writer import StorageWriter

from .conftest import BODY, make_article, scalar


def _child(writer: StorageWriter) -> int:
    """The pid of the writer's worker process, once it has started."""
    backend = writer._core.backend
    assert isinstance(backend, WriterProcess) and backend.pid is not None
    return backend.pid


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(pid)


def _submit_story(writer: StorageWriter, i: int) -> None:
    url = f"https://baohatinh.vn/tin-{i}-post{i}.html"
    writer.submit("page", PageRecord(url=url, status=200, fetched_at=utcnow()))
    writer.submit("article", make_article(url, body=f"{BODY}\nĐoạn riêng số {i} của bài."))


def test_process_writer_stores_like_the_thread(db_url: str) -> None:
    writer = StorageWriter(
        functools.partial(db.make_engine, db_url), batch_size=3, spiders=["p"], process=True
    )
    writer.start()
    for i in range(7):
        _submit_story(writer, i)
    writer.close("finished", {"item_scraped_count": 7})
    assert writer.fatal is None
    assert writer.counts["stored"] + writer.counts["duplicate"] == 7
    assert writer.counts["pages"] == 7
    engine = db.make_engine(db_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM articles") == 7
        assert scalar(engine, "SELECT count(*) FROM pages WHERE outcome IS NULL") == 0
        assert scalar(engine, "SELECT status FROM crawl_runs") == "finished"
    finally:
        engine.dispose()


def test_a_killed_writer_process_is_counted_not_hung(db_url: str) -> None:
    writer = StorageWriter(functools.partial(db.make_engine, db_url), batch_size=2, process=True)
    writer.start()
    _submit_story(writer, 1)
    assert writer.flush(60)
    child = _child(writer)
    os.kill(child, signal.SIGKILL)
    _wait_gone(child)
    _submit_story(writer, 2)
    assert writer.flush(60)  # answered, not stuck waiting on a dead pipe
    started = time.monotonic()
    writer.close()
    assert time.monotonic() - started < 30
    assert writer.fatal is not None and "ended" in str(writer.fatal)
    assert writer.counts["lost"] == 2  # the page and the article after the kill
    engine = db.make_engine(db_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM articles") == 1
    finally:
        engine.dispose()


def test_an_unusable_database_is_reported_not_hung() -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    writer = StorageWriter(functools.partial(db.make_engine, unreachable), process=True)
    writer.start()
    _submit_story(writer, 1)
    assert writer.flush(60)
    writer.close()
    assert writer.fatal is not None and "could not start" in str(writer.fatal)
    assert writer.counts["lost"] == 2


def test_the_writer_process_ignores_sigterm(db_url: str) -> None:
    # A service stop signals the whole process group: the child must outlive it to commit.
    writer = StorageWriter(functools.partial(db.make_engine, db_url), batch_size=2, process=True)
    writer.start()
    _submit_story(writer, 1)
    assert writer.flush(60)
    child = _child(writer)
    os.kill(child, signal.SIGTERM)
    time.sleep(0.3)
    assert is_running(child)
    _submit_story(writer, 2)
    writer.close()
    assert writer.fatal is None and writer.counts["lost"] == 0
    engine = db.make_engine(db_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM articles") == 2
    finally:
        engine.dispose()
