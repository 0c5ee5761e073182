"""Settings one way: every ``ARCHIVE_*`` key declared in ``crawler/settings.py``, settable from
the environment and from ``-s`` with the same meaning, read through Scrapy's ``Settings``.

The environment is read when the settings module is imported, so those checks run in fresh
processes (the ``crawler`` loader and the ``scrapy`` command line).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import default_settings

from crawler.addon import ArchiveSettings, user_agent
from crawler.config import check_settings, declared_settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "crawler" / "settings.py"
PRODUCT = [ROOT / "crawler", ROOT / "spiders", ROOT / "pipelines"]

DECLARED = declared_settings()


def _value(name: str, default: object) -> tuple[str, object]:
    """A value other than the default, as a string, and what reading it must give."""
    if name == "ARCHIVE_OUTLET_MODULES":  # must name a module that defines an outlet
        return "tests.outlet_for_settings", "tests.outlet_for_settings"
    if isinstance(default, bool):
        return ("0", False) if default else ("1", True)
    if isinstance(default, int):
        return "7", 7
    if isinstance(default, float):
        return "0.25", 0.25
    return f"from-{name.lower()}", f"from-{name.lower()}"


def _read(settings: Any, name: str) -> object:
    default = DECLARED[name]
    if isinstance(default, bool):
        return settings.getbool(name)
    if isinstance(default, int):
        return settings.getint(name)
    if isinstance(default, float):
        return settings.getfloat(name)
    return settings.get(name)


LOADER = """
import json, sys
from crawler.config import declared_settings, load_settings
settings = load_settings(sys.argv[1:])
print(json.dumps({name: settings.get(name) for name in declared_settings()}))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _load_in_process(env: dict[str, str], *overrides: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", LOADER, *overrides],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    loaded: dict[str, Any] = json.loads(out.stdout)
    return loaded


def test_the_project_declares_its_settings() -> None:
    assert len(DECLARED) >= 16
    for name in ("ARCHIVE_WRITER_QUEUE", "ARCHIVE_RUN_ID", "ARCHIVE_WARC_REVISITS"):
        assert name in DECLARED


def test_every_archive_setting_comes_from_the_environment_with_its_meaning() -> None:
    values = {name: _value(name, default) for name, default in DECLARED.items()}
    env = _clean_env(**{name: raw for name, (raw, _) in values.items()})
    loaded = _load_in_process(env)
    from scrapy.settings import Settings

    settings = Settings(loaded)
    for name, (raw, meaning) in values.items():
        assert loaded[name] == raw, name  # the string, as -s would give it
        assert _read(settings, name) == meaning, name


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_archive_setting_comes_from_the_command_line(name: str) -> None:
    raw, meaning = _value(name, DECLARED[name])
    settings = load_settings([f"{name}={raw}"])
    assert _read(settings, name) == meaning
    assert settings.getpriority(name) == 40  # cmdline


def test_command_line_wins_over_the_environment_which_wins_over_the_default() -> None:
    env = _clean_env(ARCHIVE_BATCH_SIZE="9", ARCHIVE_FIRST_CRAWL_DAYS="5")
    loaded = _load_in_process(env, "ARCHIVE_BATCH_SIZE=11")
    assert loaded["ARCHIVE_BATCH_SIZE"] == "11"
    assert loaded["ARCHIVE_FIRST_CRAWL_DAYS"] == "5"
    assert loaded["ARCHIVE_NEAR_DUP_THRESHOLD"] == DECLARED["ARCHIVE_NEAR_DUP_THRESHOLD"]


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", False), ("false", False), ("False", False), ("1", True)]
)
def test_booleans_mean_the_same_from_either_source(raw: str, expected: bool) -> None:
    names = [n for n, d in DECLARED.items() if isinstance(d, bool)]
    assert {"ARCHIVE_RESPECT_CRAWL_DELAY", "ARCHIVE_WRITER_PROCESS"} <= set(names)
    from scrapy.settings import Settings

    from_env = Settings(_load_in_process(_clean_env(**dict.fromkeys(names, raw))))
    from_cli = load_settings([f"{name}={raw}" for name in names])
    for name in names:
        assert from_env.getbool(name) is expected, name
        assert from_cli.getbool(name) is expected, name


def test_the_scrapy_command_line_reads_the_same_settings() -> None:
    scrapy = str(Path(sys.executable).with_name("scrapy"))

    def get(name: str, *args: str, **env: str) -> str:
        out = subprocess.run(
            [scrapy, "settings", "--get", name, *args],
            env=_clean_env(**env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert get("ARCHIVE_RESPECT_CRAWL_DELAY", ARCHIVE_RESPECT_CRAWL_DELAY="0") == "0"
    assert get("ARCHIVE_BATCH_SIZE", "-s", "ARCHIVE_BATCH_SIZE=3", ARCHIVE_BATCH_SIZE="9") == "3"
    assert get("REQUEST_FINGERPRINTER_IMPLEMENTATION") == "None"


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("ARCHIVE_BATCH_SIZE=lots", "ARCHIVE_BATCH_SIZE='lots' is not an integer"),
        ("ARCHIVE_WRITER_PROCESS=no", "ARCHIVE_WRITER_PROCESS='no' is not a boolean"),
        ("ARCHIVE_RETRY_BACKOFF=1s", "ARCHIVE_RETRY_BACKOFF='1s' is not a number"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_with_its_name(pair: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load_settings([pair])
    name, _, raw = pair.partition("=")
    out = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "stats"],
        env=_clean_env(**{name: raw}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert message in out.stderr


def test_the_addon_builds_the_user_agent_from_the_contact_unless_it_is_set() -> None:
    settings = load_settings(["ARCHIVE_CONTACT=ops@example.vn"])
    ArchiveSettings().update_settings(settings)
    assert settings.get("USER_AGENT") == user_agent("ops@example.vn")
    assert "(+mailto:ops@example.vn)" in settings.get("USER_AGENT")
    explicit = load_settings(["ARCHIVE_CONTACT=ops@example.vn", "USER_AGENT=mine/1.0"])
    ArchiveSettings().update_settings(explicit)
    assert explicit.get("USER_AGENT") == "mine/1.0"
    bad = load_settings([])
    bad.set("ARCHIVE_BATCH_SIZE", "x", priority="cmdline")
    with pytest.raises(ValueError, match="ARCHIVE_BATCH_SIZE"):
        ArchiveSettings().update_settings(bad)
    check_settings(load_settings([]))  # the defaults pass


def _assignments() -> list[tuple[str, ast.stmt | None]]:
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    out: list[tuple[str, ast.stmt | None]] = []
    body = tree.body
    for i, node in enumerate(body):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                out.append((target.id, body[i + 1] if i + 1 < len(body) else None))
    return out


def test_every_setting_is_a_scrapy_setting_or_a_documented_archive_one() -> None:
    known = {name for name in dir(default_settings) if name.isupper()}
    for name, following in _assignments():
        if name.startswith("ARCHIVE_"):
            assert isinstance(following, ast.Expr), f"{name} has no docstring"
            assert isinstance(following.value, ast.Constant), f"{name} has no docstring"
            assert isinstance(following.value.value, str), f"{name} has no docstring"
        else:
            assert name in known, f"{name} is not a Scrapy setting (dead or misspelt)"


def test_readme_documents_every_archive_setting_in_one_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(ARCHIVE_[A-Z0-9_]+)` \|", readme, flags=re.MULTILINE)
    assert sorted(rows) == sorted(DECLARED)


def test_product_code_reads_only_declared_settings_and_never_the_environment() -> None:
    allowed_environ: set[Path] = set()
    for base in PRODUCT:
        for path in base.rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for name in re.findall(r"[\"'](ARCHIVE_[A-Z0-9_]+)[\"']", source):
                assert name in DECLARED, f"{path}: {name} is not declared in crawler/settings.py"
            if path in allowed_environ or path.name == "config.py":
                continue
            assert not re.search(r"os\.environ\b.*ARCHIVE_|getenv\(.ARCHIVE_", source), path
