#!/usr/bin/env bash
# System packages the test suite needs besides Python: Debian's Chromium, which renders the
# HTML report headless in tests/ops. Nothing is installed when it is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
