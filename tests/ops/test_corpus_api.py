"""``crawler.corpus``: the Python API agrees with the CLI export, and every Python example in
``docs/analysis.md`` runs (against an archive crawled from the fake outlets)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from ops_testing import ROOT, read_jsonl, run_cli, run_crawl

from crawler.corpus import open_corpus
from crawler.fakeoutlets.corpus import Corpus, real_now
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DOC = ROOT / "docs" / "analysis.md"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory whose ``data/`` is an archive of three fake outlets."""
    root = tmp_path_factory.mktemp("analysis")
    corpus = Corpus(
        articles_per_outlet=12, now=real_now(), outlets=("baohatinh", "baonghean", "baocantho")
    )
    with FakeOutletServer(corpus) as server:
        done = run_crawl(root / "data", server.mirrors_json, "baohatinh", "baonghean", "baocantho",
                         "--since", "2019-01-01")  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
    yield root


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_doc_examples_run(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(workdir / "data"))
    monkeypatch.delenv("ARCHIVE_DATABASE_URL", raising=False)
    namespace: dict[str, Any] = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"{DOC.name}[python block {i + 1}]", "exec"), namespace)
        except Exception as exc:  # name the block in the failure
            raise AssertionError(f"docs/analysis.md python block {i + 1} failed: {exc!r}") from exc
    assert namespace["first"] and (workdir / "lake" / "_dataset.json").exists()


def test_api_rows_equal_the_cli_export(workdir: Path, tmp_path: Path) -> None:
    data = workdir / "data"
    out = tmp_path / "all.jsonl"
    args = ["export", "--outlet", "baohatinh", "--outlet", "baocantho", "--since", "2020-01-01"]
    assert run_cli(data, *args, "-o", str(out)).returncode == 0
    cli_rows = read_jsonl(out)
    with open_corpus(data) as corpus:
        api_rows = list(
            corpus.articles(outlets=["baohatinh", "baocantho.com.vn"], since="2020-01-01")
        )
        assert [r["id"] for r in api_rows] == [r["id"] for r in cli_rows] and api_rows
        for got, want in zip(api_rows, cli_rows, strict=True):
            assert got == want
        table = corpus.to_arrow(outlets=["baohatinh", "baocantho"], since="2020-01-01")
        assert table.column("id").to_pylist() == [r["id"] for r in cli_rows]
        assert str(table.schema.field("published_at").type) == "timestamp[us, tz=Asia/Ho_Chi_Minh]"
        dups = list(corpus.articles(include_duplicates=True, fields=["id", "duplicate_of"]))
        assert len(dups) >= corpus.count() and all(list(r) == ["id", "duplicate_of"] for r in dups)
        newest = max(r["changed_at"] for r in corpus.articles(changed_since="2019-01-01"))
        recent = list(corpus.articles(changed_since=newest - timedelta(microseconds=1)))
        assert recent and all(r["changed_at"] >= newest for r in recent)
        with pytest.raises(ValueError, match="unknown outlet"):
            corpus.count(outlets=["nowhere"])


def test_api_pull_advances_only_on_success(workdir: Path) -> None:
    with open_corpus(str(workdir / "data")) as corpus:
        with pytest.raises(RuntimeError), corpus.pull("api") as rows:
            assert next(rows)["change"] == "new"
            raise RuntimeError("the notebook crashed")
        with corpus.pull("api") as rows:
            everything = [r["id"] for r in rows]
        assert len(everything) == corpus.count()
        with corpus.pull("api") as rows:
            assert list(rows) == []


def test_open_corpus_from_settings(workdir: Path, tmp_path: Path) -> None:
    # A fresh interpreter, as a user's script: the settings come from the environment.
    script = "from crawler.corpus import open_corpus\nprint(open_corpus().count())\n"
    env = dict(os.environ, ARCHIVE_DATA_DIR=str(workdir / "data"))
    env.pop("ARCHIVE_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with open_corpus(workdir / "data") as corpus:
        assert int(done.stdout) == corpus.count() > 10
    with pytest.raises(FileNotFoundError):
        open_corpus(workdir / "missing")
