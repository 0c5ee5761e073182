"""The project's promises about itself: README commands, CI script, registry, CLI wiring."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli import build_parser
from crawler.outlets import all_profiles, get_profile, profile_for_url

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_readme_gives_two_fresh_machine_commands_and_ci_runs_the_test_one() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands
    main_job, tests = commands
    assert "crawler " in main_job and "pytest" in tests
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci_lines, "the README's test command must appear verbatim in .ci/run"


def test_every_profile_is_registered_once_and_found_by_url() -> None:
    profiles = all_profiles()
    assert len(profiles) >= 8
    assert len({p.domain for p in profiles}) == len(profiles)
    for profile in profiles:
        assert get_profile(profile.name) is profile
        assert profile_for_url(f"https://www.{profile.domain}/x-post1.html") is profile
        assert profile.article_patterns and profile.dateline_markers
        assert profile.sitemaps or profile.feeds or profile.listings
    assert profile_for_url("https://example.com/a") is None
    with pytest.raises(KeyError, match="no outlet"):
        get_profile("nosuchpaper")


def test_templates_shared_by_several_outlets() -> None:
    by_template: dict[str, list[str]] = {}
    for profile in all_profiles():
        by_template.setdefault(profile.template.name, []).append(profile.name)
    shared = [names for names in by_template.values() if len(names) > 1]
    assert sum(len(names) for names in shared) >= 5  # three extra papers on shared templates


def test_cli_lists_its_commands() -> None:
    help_text = build_parser().format_help()
    for command in ("extract", "crawl", "db", "archive"):
        assert command in help_text


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "extract" in result.stdout
