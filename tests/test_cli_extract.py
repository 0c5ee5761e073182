"""``crawler extract`` as a user runs it: one page, and a manifest with broken entries."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Hà Tĩnh gieo cấy lúa xuân - Báo Hà Tĩnh</title>
<link rel="canonical" href="https://baohatinh.vn/ha-tinh-gieo-cay-lua-xuan-post1234.html">
</head><body>
<h1 class="article__title cms-title">Hà Tĩnh gieo cấy lúa xuân</h1>
<div class="article__sapo cms-desc">(Baohatinh.vn) - Nông dân ra đồng từ sớm.</div>
<div class="article__meta"><time datetime="2025-02-03T07:30:00+07:00">03/02/2025 07:30</time></div>
<div class="article__body zce-content-body cms-body" itemprop="articleBody">
<p>Đoạn một của bài báo về vụ lúa xuân năm nay ở các huyện trong tỉnh.</p>
<p>Đoạn hai nói về giống lúa mới được đưa vào sản xuất.</p>
<p style="text-align:right"><strong>Thu Hà</strong></p>
</div></body></html>"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_single_page_prints_one_json_object(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    result = _run(str(page))  # no --url: the page's canonical URL selects the profile
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["outlet"] == "baohatinh.vn"
    assert article["sapo"] == "Nông dân ra đồng từ sớm."
    assert article["authors"] == ["Thu Hà"]
    assert article["published_at"] == "2025-02-03T07:30:00+07:00"
    assert article["slug"] == "ha-tinh-gieo-cay-lua-xuan"
    assert "Thu Hà" not in article["body"]


def test_manifest_keeps_order_and_reports_each_bad_input(tmp_path: Path) -> None:
    good = tmp_path / "good.html.gz"
    good.write_bytes(gzip.compress(PAGE.encode("utf-8")))
    (tmp_path / "broken.html.gz").write_bytes(b"\x1f\x8b not really gzip")
    (tmp_path / "empty.html").write_bytes(b"")
    manifest = tmp_path / "list.jsonl"
    lines = [
        json.dumps({"path": "good.html.gz", "url": "https://baohatinh.vn/a-post1.html"}),
        json.dumps({"path": "missing.html"}),
        "this is not json",
        json.dumps({"path": "broken.html.gz"}),
        json.dumps({"path": "empty.html", "url": "https://baohatinh.vn/b-post2.html"}),
        json.dumps({"path": str(good), "url": "https://example.com/story"}),
    ]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run("--manifest", str(manifest))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 6
    assert out[0]["url"] == "https://baohatinh.vn/a-post1.html" and "error" not in out[0]
    assert "cannot read" in out[1]["error"]
    assert "not JSON" in out[2]["error"]
    assert "gzip" in out[3]["error"]
    assert "empty" in out[4]["error"]
    assert "error" not in out[5] and out[5]["outlet"] == "example.com"
    assert "4 of 6 inputs failed" in result.stderr


def test_missing_page_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "nope.html"))
    assert result.returncode == 1
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


REAL = FIXTURES / "real"


def test_explain_shows_sources_beaten_candidates_and_pruned_blocks() -> None:
    page = REAL / "baocantho.com.vn" / "thanh-tra-trong-tam-2026.html"
    result = _run(str(page), "--explain")
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert "verdict:   an article" in report
    assert "read as:   profile baocantho (template cantho)" in report
    assert "THỜI SỰ > Cần Thơ - breadcrumb trail" in report  # the beaten breadcrumb h1
    assert "published_at = 2026-01-08T18:21:00+07:00" in report
    assert "won:  template date element" in report
    assert "[byline paragraph (names go to authors)] Tin, ảnh: P.Y" in report


def test_explain_json_of_a_sniffed_page_lists_pruned_related_boxes() -> None:
    page = REAL / "plo.vn" / "dang-hoa-tuong-niem-liet-si.html"
    result = _run(str(page), "--explain", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    explanation = payload["explanation"]
    assert explanation["path"] == "sniffed template epi"
    rules = [p["rule"] for p in explanation["pruned"]]
    assert "labelled box: dòng sự kiện" in rules
    assert any(rule.startswith(("link-dense block", "related card")) for rule in rules)
    assert payload["article"]["authors"] == ["Thuận Văn", "Lê Ánh"]
    title = explanation["fields"]["title"]
    assert title["source"] == "selector h1.article__title" and title["candidates"]


def test_non_article_page_is_printed_with_what_it_is() -> None:
    page = REAL / "baocantho.com.vn" / "category-thoi-su.html"
    result = _run(str(page))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["not_article"].startswith("not an article (listing)")
    explained = _run(str(page), "--explain")
    assert "verdict:   NOT STORED: not an article (listing)" in explained.stdout


def test_content_type_header_decides_the_charset(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(PAGE.replace('<meta charset="utf-8">', "").encode("utf-8"))
    wrong = _run(str(page), "--content-type", "text/html; charset=windows-1258")
    # The bytes are valid UTF-8: they win over the contradicting header.
    assert json.loads(wrong.stdout)["authors"] == ["Thu Hà"]
