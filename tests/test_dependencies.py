"""Dependencies as used: every distribution the product imports is declared with a lower
bound, and every declared runtime dependency is imported by the product (or named below with
why it is needed without an import). The lower bounds themselves are exercised by
``scripts/check-lower-bounds.sh``; ``scripts/check-fresh-install.sh`` installs the product
without the dev extra and runs ``crawler demo``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("crawler", "spiders", "pipelines")

USED_WITHOUT_IMPORT = {
    "psycopg": "the PostgreSQL driver SQLAlchemy loads for postgresql+psycopg:// URLs",
    "lxml-html-clean": "trafilatura imports lxml.html.clean, which lxml 6 moved out",
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(group: str | None = None) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] if group is None else project["optional-dependencies"][group]
    out = {}
    for dep in deps:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?(?:>=([^,;\s]+))?", dep)
        assert match, dep
        out[_normal(match.group(1))] = match.group(2) or ""
    return out


def _imported_modules() -> set[str]:
    found: set[str] = set()
    for base in PRODUCT:
        for path in (ROOT / base).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PRODUCT) - {"__future__"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    by_module = packages_distributions()
    out: dict[str, set[str]] = {}
    for module in modules:
        assert module in by_module, f"{module} is imported but installed by no distribution"
        for dist in by_module[module]:
            out.setdefault(_normal(dist), set()).add(module)
    return out


def test_every_imported_distribution_is_declared_with_a_lower_bound() -> None:
    runtime = _declared()
    dev = _declared("dev")
    analysis = _declared("analysis")
    imported = _distributions(_imported_modules())
    # datasketch is imported lazily by a development check (crawler.dedup.minhash), dev only;
    # duckdb lazily by crawler.corpus's to_duckdb(), the optional "analysis" extra.
    missing = {d for d in imported if d not in runtime and d not in dev and d not in analysis}
    assert not missing, f"imported but not declared: {sorted(missing)}"
    assert set(imported) - set(runtime) <= {"datasketch", *analysis}
    assert set(analysis) == {"duckdb"}
    for name, bound in runtime.items():
        assert bound, f"{name} has no lower bound"


def test_every_runtime_dependency_is_used() -> None:
    imported = _distributions(_imported_modules())
    unused = set(_declared()) - set(imported) - set(USED_WITHOUT_IMPORT)
    assert not unused, f"declared but never imported: {sorted(unused)}"
    assert "datasketch" in _declared("dev") and "datasketch" not in _declared()
