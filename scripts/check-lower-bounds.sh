#!/usr/bin/env bash
# Checks that the declared lower bounds are real: installs every runtime dependency of
# pyproject.toml at exactly its lower bound (pip constraints name==bound) in a fresh venv,
# then runs the tests that exercise them and `crawler demo`. Not part of CI (it downloads
# older releases); run it after changing a dependency:  bash scripts/check-lower-bounds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.cache/lower-bounds-venv}
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q -U pip
python3 - > "$venv/constraints.txt" <<'PY'
import re, tomllib
for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?>=([^,;\s]+)", dep).groups()
    print(f"{name}=={bound}")
PY
echo "constraints:"; cat "$venv/constraints.txt"
"$venv/bin/pip" install -q -c "$venv/constraints.txt" -e '.[dev]'
# LOWER_BOUND_TESTS: test paths to run (default: the whole suite)
# shellcheck disable=SC2086
"$venv/bin/python" -m pytest -q -p no:cacheprovider ${LOWER_BOUND_TESTS:-tests}
data=$(mktemp -d)
"$venv/bin/crawler" -s "ARCHIVE_DATA_DIR=$data" demo --articles 5
"$venv/bin/crawler" -s "ARCHIVE_DATA_DIR=$data" archive verify
rm -rf "$data"
echo "lower bounds OK"
