"""Dates that article and sitemap URLs carry: ``/201905/``, ``/2019/05/21/``, ``-2019-05``."""

from __future__ import annotations

import re
from datetime import date

_DAY = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?!\d)")
_MONTH = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[/-]?(0[1-9]|1[0-2])(?!\d)")


def url_day(path: str) -> date | None:
    """A full date written in a URL path, e.g. ``/2019/05/21/`` or ``-20190521``."""
    match = _DAY.search(path)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def url_month(path: str) -> tuple[int, int] | None:
    """A year and month written in a URL path, e.g. ``/201905/`` or ``sitemap-2019-05.xml``."""
    match = _MONTH.search(path)
    return (int(match[1]), int(match[2])) if match else None
