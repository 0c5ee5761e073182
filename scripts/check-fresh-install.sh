#!/usr/bin/env bash
# The product as a user installs it: `pip install .` (no dev extra) in a fresh venv, then
# `crawler demo`, and the list of what got installed (nothing the product does not import at
# run time: no datasketch/scipy, no redis, no test tools).  bash scripts/check-fresh-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.cache/fresh-install-venv}
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q -U pip
"$venv/bin/pip" install -q .
"$venv/bin/pip" list --format=freeze > "$venv/installed.txt"
for unwanted in datasketch scipy redis pytest wacz pywb ruff mypy; do
    if grep -qi "^$unwanted==" "$venv/installed.txt"; then
        echo "unexpected distribution installed: $unwanted" >&2
        exit 1
    fi
done
data=$(mktemp -d)
(cd "$(mktemp -d)" && "$OLDPWD/$venv/bin/crawler" -s "ARCHIVE_DATA_DIR=$data" demo)
"$venv/bin/crawler" -s "ARCHIVE_DATA_DIR=$data" archive verify
"$venv/bin/crawler" -s "ARCHIVE_DATA_DIR=$data" archive index
"$venv/bin/crawler" -s "ARCHIVE_DATA_DIR=$data" archive wacz -o "$data/demo.wacz"
rm -rf "$data"
echo "installed $(wc -l < "$venv/installed.txt") distributions; fresh install OK"
