"""``ARCHIVE_OUTLET_MODULES``: a user adds their province's paper without forking.

What the README tells them to do, done here: copy the nearest outlet's module out of the
package, change its name and domain, name it in the setting (environment or ``-s``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crawler.outlets import (
    all_profiles,
    get_profile,
    package_profiles,
    profile_for_url,
    use_outlet_modules,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
NEAREST = ROOT / "crawler" / "outlets" / "baohatinh.py"
PAGE = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
    "<title>Tỉnh XYZ khởi công cầu mới - Báo XYZ</title></head><body>"
    '<h1 class="article__title cms-title">Tỉnh XYZ khởi công cầu mới</h1>'
    '<div class="article__sapo cms-desc">(BXYZ) - Cây cầu nối hai huyện phía nam.</div>'
    '<div class="article__body cms-body" itemprop="articleBody">'
    "<p>Cây cầu dài hơn ba trăm mét, vốn đầu tư gần hai trăm tỷ đồng, dự kiến hoàn thành "
    "sau hai năm thi công.</p><p>Người dân hai bờ sông mong chờ công trình từ nhiều năm.</p>"
    "</div></body></html>"
)


def write_outlet(folder: Path, module: str = "baoxyz", name: str = "baoxyz") -> Path:
    """The README's recipe: the nearest outlet's module, copied, with a new name and domain."""
    source = NEAREST.read_text(encoding="utf-8")
    source = source.replace('name="baohatinh"', f'name="{name}"')
    source = source.replace("baohatinh.vn", "baoxyz.vn").replace("Báo Hà Tĩnh", "Báo XYZ")
    source = source.replace(r'r"\(Baohatinh\.vn\)", r"\(BHT\)"', r'r"\(BXYZ\)",')
    path = folder / f"{module}.py"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture
def outlet_folder(tmp_path: Path) -> Iterator[Path]:
    write_outlet(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("baoxyz", None)
        use_outlet_modules("")


def test_outlet_module_outside_the_package_joins_the_registry(outlet_folder: Path) -> None:
    before = {p.name for p in all_profiles()}
    use_outlet_modules("baoxyz")
    profile = get_profile("baoxyz")
    assert profile.domain == "baoxyz.vn" and profile.template.name == "epi"
    assert profile_for_url("https://www.baoxyz.vn/cau-moi-post12.html") is profile
    assert {p.name for p in all_profiles()} == before | {"baoxyz"}
    assert "baoxyz" not in {p.name for p in package_profiles()}  # no fixtures demanded
    use_outlet_modules("")
    assert profile_for_url("https://baoxyz.vn/cau-moi-post12.html") is None


def test_a_module_reusing_a_name_is_refused(tmp_path: Path) -> None:
    write_outlet(tmp_path, module="copycat", name="baohatinh")
    sys.path.insert(0, str(tmp_path))
    try:
        use_outlet_modules("copycat")
        with pytest.raises(ValueError, match="two outlet modules register the name 'baohatinh'"):
            all_profiles()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("copycat", None)
        use_outlet_modules("")


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVE_OUTLET_MODULES"}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT)])
    env.update(extra)
    return env


def test_from_the_environment_scrapy_and_crawler_see_it(tmp_path: Path) -> None:
    write_outlet(tmp_path)
    env = _env(tmp_path, ARCHIVE_OUTLET_MODULES="baoxyz")
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "baoxyz" in listed.stdout.split()
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", str(page), "--url",
         "https://baoxyz.vn/tinh-xyz-khoi-cong-cau-moi-post123.html", "--explain"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "read as:   profile baoxyz (template epi)" in result.stdout
    assert "sapo = Cây cầu nối hai huyện phía nam." in result.stdout  # its own dateline marker


def test_from_a_setting_and_a_clear_error_when_it_cannot_be_imported(tmp_path: Path) -> None:
    write_outlet(tmp_path)
    env = _env(tmp_path)
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list", "-s", "ARCHIVE_OUTLET_MODULES=baoxyz"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "baoxyz" in listed.stdout.split()
    bad = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "-s", "ARCHIVE_OUTLET_MODULES=nosuchpaper",
         "extract", "x.html"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "ARCHIVE_OUTLET_MODULES names 'nosuchpaper'" in bad.stderr
