"""Loading the archive's settings outside a Scrapy command (the ``crawler`` CLI, scripts)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.utils.project import get_project_settings

if TYPE_CHECKING:
    from scrapy.settings import Settings

SETTINGS_MODULE = "crawler.settings"


def load_settings(overrides: list[str] | None = None) -> Settings:
    """The project settings with ``KEY=VALUE`` overrides applied at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    settings = get_project_settings()
    for pair in overrides or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"a setting must look like KEY=VALUE, got {pair!r}")
        settings.set(key.strip(), value, priority="cmdline")
    # Outlets defined outside the package join the registry before anything reads it.
    from crawler.outlets import all_profiles, use_outlet_modules

    use_outlet_modules(settings.get("ARCHIVE_OUTLET_MODULES") or "")
    all_profiles()  # a module that cannot be imported is reported now, as a settings error
    return settings


def data_dir(settings: Settings) -> Path:
    """``ARCHIVE_DATA_DIR`` as a path (created on demand by whoever writes there)."""
    return Path(settings.get("ARCHIVE_DATA_DIR") or "./data")


def database_url(settings: Settings) -> str:
    """``ARCHIVE_DATABASE_URL``, or the default SQLite file under ``ARCHIVE_DATA_DIR``."""
    url = str(settings.get("ARCHIVE_DATABASE_URL") or "")
    if url:
        return url
    return f"sqlite:///{(data_dir(settings) / 'archive.sqlite3').resolve()}"
