"""``crawler archive index`` and ``crawler archive wacz`` on the demo archive, checked with the
tools archivists use: ``warcio check``, ``wacz validate`` (py-wacz), and pywb replaying from
the project's own CDXJ index.

The replay tests compare with the original bytes, fetched independently from the server that
was crawled: for that the demo's crawl (every outlet, backfill since 2019, demo settings) is
run against a fake-outlet server of the test process (``crawler demo`` runs its own inside).
"""

from __future__ import annotations

import html
import json
import os
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from crawler.archive import cdxj, iter_records
from crawler.commands.demo import DEMO_SETTINGS as DEMO_CRAWL
from crawler.fakeoutlets.corpus import Corpus
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO_ARTICLES = 6
PYWB = "pywb==2.10.0"
PYWB_VENV = ROOT / ".cache" / "pywb-venv"
"""pywb pins redis 2.10.6, Werkzeug, pyOpenSSL and ships its own ``brotli`` module
(brotlipy): it cannot share the project's environment, so it gets its own."""


def crawler(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "-s", f"ARCHIVE_DATA_DIR={data}", *args],
        env=env,
        cwd=data.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "data"
    run = crawler(data, "demo", "--articles", str(DEMO_ARTICLES))
    assert run.returncode == 0, run.stderr[-4000:]
    index = crawler(data, "archive", "index")
    assert index.returncode == 0, index.stderr
    assert "indexed " in index.stdout
    return data


@pytest.fixture(scope="module")
def origin() -> Iterator[FakeOutletServer]:
    with FakeOutletServer(Corpus(articles_per_outlet=DEMO_ARTICLES)) as server:
        yield server


DEMO_SETTINGS = [f"{key}={value}" for key, value in DEMO_CRAWL.items() if key != "LOG_LEVEL"]


@pytest.fixture(scope="module")
def served(origin: FakeOutletServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's crawl of ``origin`` (in this process, so its bytes can be fetched again)."""
    data = tmp_path_factory.mktemp("served") / "data"
    settings = [arg for pair in DEMO_SETTINGS for arg in ("-s", pair)]
    run = crawler(
        data,
        *settings,
        "-s",
        f"ARCHIVE_MIRRORS={origin.mirrors_json}",
        "crawl",
        "--all",
        "--since",
        "2019-01-01",
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert crawler(data, "archive", "index").returncode == 0
    assert crawler(data, "archive", "wacz", "-o", str(data.parent / "served.wacz")).returncode == 0
    return data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # an archived redirect is compared as it is, never followed


NO_REDIRECTS = urllib.request.build_opener(_NoRedirect)


def original_bytes(server: FakeOutletServer, url: str) -> bytes:
    """The bytes the fake outlets send for ``url`` to a crawler like ours."""
    parts = urlsplit(url)
    request = urllib.request.Request(
        server.origin + parts.path + (f"?{parts.query}" if parts.query else ""),
        headers={"X-Archive-Host": parts.netloc, "Accept-Encoding": "gzip, deflate, br"},
    )
    try:
        with NO_REDIRECTS.open(request, timeout=30) as response:
            body: bytes = response.read()
    except urllib.error.HTTPError as error:  # 3xx and 4xx bodies are archived too
        body = error.read()
    return body


def pages(data: Path, wacz: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(wacz) as zf:
        lines = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_warcio_check_is_clean_on_the_demo_archive(demo: Path) -> None:
    files = sorted(str(p) for p in (demo / "warc").glob("*.warc.gz"))
    assert len(files) == 8
    check = subprocess.run(
        [str(BIN / "warcio"), "check", "-v", *files], capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert check.stdout.count("digest pass") > 400
    assert "fail" not in check.stdout


def test_index_has_one_line_per_response_and_revisit(demo: Path) -> None:
    entries = list(cdxj.iter_index(cdxj.default_index(demo)))
    records = [
        r
        for path in sorted((demo / "warc").glob("*.warc.gz"))
        for r in iter_records(path)
        if r.type in ("response", "revisit")
    ]
    assert len(entries) == len(records) > 200
    assert [e.urlkey for e in entries] == sorted(e.urlkey for e in entries)
    assert any(e.is_revisit for e in entries)  # robots.txt is fetched twice per outlet
    by_place = {(r.offset, r.url): r for r in records}
    for entry in entries[::7]:
        record = by_place[(entry.location.offset, entry.url)]
        assert entry.digest == dict(record.warc_headers)["WARC-Payload-Digest"]
        assert entry.location.length == record.length


def test_wacz_validate_is_clean(demo: Path) -> None:
    wacz = demo.parent / "demo.wacz"
    made = crawler(demo, "archive", "wacz", "-o", str(wacz))
    assert made.returncode == 0, made.stderr
    assert f"{DEMO_ARTICLES * 8 * 3 // 2} pages" in made.stdout  # 9 articles per outlet
    check = subprocess.run(
        [str(BIN / "wacz"), "validate", "-f", str(wacz)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Validation succeeded" in check.stdout
    listed = pages(demo, wacz)
    assert listed[0]["format"] == "json-pages-1.0"
    assert len(listed) - 1 == DEMO_ARTICLES * 8 * 3 // 2
    with zipfile.ZipFile(wacz) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        package = json.loads(zf.read("datapackage.json"))
    assert package["wacz_version"] == "1.1.1"
    warcs = [name for name in infos if name.startswith("archive/")]
    assert len(warcs) == 8
    assert all(infos[name].compress_type == zipfile.ZIP_STORED for name in warcs)
    assert {r["path"] for r in package["resources"]} == set(infos) - {
        "datapackage.json",
        "datapackage-digest.json",
    }


PY_WACZ_CHECKS = """
import json, sys
from wacz.validate import Validation
validation = Validation(sys.argv[1])
print(json.dumps({
    "contents": validation.check_required_contents(),
    "paths": validation.check_file_paths(),
    "hashes": validation.check_file_hashes(),
    "digest": validation.check_data_package_hash_and_sig(),
}))
"""


def test_wacz_1_2_0_has_the_1_2_0_manifest_and_passes_py_wacz_checks(demo: Path) -> None:
    wacz = demo.parent / "demo-1.2.0.wacz"
    made = crawler(demo, "archive", "wacz", "-o", str(wacz), "--wacz-version", "1.2.0")
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(wacz) as zf:
        package = json.loads(zf.read("datapackage.json"))
    assert package["profile"] == "wacz" and "wacz_version" not in package
    assert not {"mainPageUrl", "mainPageDate"} & set(package)
    # py-wacz's own checks of contents, paths, hashes and the manifest digest (its version
    # gate and frictionless profile check are 1.1.1's, see crawler/archive/wacz.py); in a
    # subprocess, as py-wacz leaves files open.
    checks = subprocess.run(
        [sys.executable, "-c", PY_WACZ_CHECKS, str(wacz)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checks.returncode == 0, checks.stderr
    result = json.loads(checks.stdout.strip().splitlines()[-1])
    assert result == {"contents": 0, "paths": True, "hashes": True, "digest": True}


def test_replay_from_the_index_returns_the_original_bytes(
    served: Path, origin: FakeOutletServer
) -> None:
    index = cdxj.default_index(served)
    articles = pages(served, served.parent / "served.wacz")[1:]
    assert len(articles) == DEMO_ARTICLES * 8 * 3 // 2
    for page in articles[:: max(1, len(articles) // 8)]:
        archived = cdxj.replay(served, index, page["url"])
        assert archived.payload == original_bytes(origin, page["url"]), page["url"]
        # The title as the page prints it (entities decoded; some layouts print NFD text).
        printed = unicodedata.normalize("NFC", html.unescape(archived.body.decode("utf-8")))
        assert page["title"] in printed
    # A revisit (robots.txt, fetched twice) is answered with the capture holding the payload.
    robots = "https://baohatinh.vn/robots.txt"
    assert [e.is_revisit for e in cdxj.lookup(index, robots)] == [False, True]
    assert cdxj.replay(served, index, robots).payload == original_bytes(origin, robots)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def pywb() -> Path:
    """A virtualenv with pywb, made once and kept under ``.cache/`` (gitignored)."""
    wayback = PYWB_VENV / "bin" / "wayback"
    if not wayback.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PYWB_VENV)], check=True, timeout=300)
        install = subprocess.run(
            [str(PYWB_VENV / "bin" / "pip"), "install", "-q", PYWB],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return wayback


def test_pywb_replays_archived_articles_from_our_index(
    served: Path, origin: FakeOutletServer, pywb: Path, tmp_path: Path
) -> None:
    collection = tmp_path / "collections" / "demo"
    (collection / "archive").mkdir(parents=True)
    (collection / "indexes").mkdir()
    for warc in (served / "warc").glob("*.warc.gz"):
        (collection / "archive" / warc.name).symlink_to(warc)
    index = cdxj.default_index(served)
    (collection / "indexes" / "index.cdxj").write_bytes(index.read_bytes())
    port = _free_port()
    server = subprocess.Popen(
        [str(pywb), "-p", str(port), "-b", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/demo"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "pywb did not start"
                assert server.poll() is None, "pywb exited"
                time.sleep(0.3)
        entries = [
            e for e in cdxj.iter_index(index) if not e.is_revisit and e.url.endswith(".html")
        ]
        checked = 0
        for entry in entries[:: max(1, len(entries) // 8)] + [
            e for e in cdxj.lookup(index, "https://baonghean.vn/robots.txt") if e.is_revisit
        ]:
            request = urllib.request.Request(
                f"{base}/{entry.timestamp}id_/{entry.url}", headers={"Accept-Encoding": "gzip"}
            )
            try:
                with NO_REDIRECTS.open(request, timeout=30) as response:
                    replayed = response.read()
            except urllib.error.HTTPError as error:  # a 404 or 301 is replayed as such
                replayed = error.read()
            assert replayed == original_bytes(origin, entry.url), entry.url
            checked += 1
        assert checked >= 8
    finally:
        server.terminate()
        server.wait(timeout=30)
