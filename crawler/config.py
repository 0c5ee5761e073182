"""Loading the archive's settings outside a Scrapy command (the ``crawler`` CLI, scripts).

The settings are declared in :mod:`crawler.settings`; this module holds the one mechanism
that lets the environment override their defaults (:func:`from_environment`, applied by that
module at import time, at Scrapy's ``project`` priority, below ``-s`` on the command line) and
the check that every value parses as its default's type (:func:`check_settings`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.utils.project import get_project_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from scrapy.settings import BaseSettings, Settings

SETTINGS_MODULE = "crawler.settings"

PREFIX = "ARCHIVE_"
"""The project's own settings start with this; only they are read from the environment."""


def from_environment(
    declared: Mapping[str, object], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The declared ``ARCHIVE_*`` settings that the environment sets, as the strings it holds.

    Values are not parsed here: they are read like ``-s`` values, through ``Settings.getbool``
    and the like, so both sources mean the same thing (``0`` is false for every boolean).
    """
    env = os.environ if environ is None else environ
    return {name: env[name] for name in declared if name.startswith(PREFIX) and name in env}


def declared_settings() -> dict[str, object]:
    """Every ``ARCHIVE_*`` setting of :mod:`crawler.settings` with its default."""
    from crawler import settings as module

    return dict(module.declared)


def check_settings(settings: BaseSettings) -> None:
    """Raise ``ValueError`` naming the setting when a value does not parse as its default's
    type (a boolean, integer or number), whether it came from the environment or ``-s``."""
    for name, default in declared_settings().items():
        kind, getter = _TYPED.get(type(default), ("", None))
        if getter is None:
            continue
        try:
            getter(settings, name)
        except (TypeError, ValueError):
            raise ValueError(f"setting {name}={settings.get(name)!r} is not {kind}") from None


_TYPED: dict[type, tuple[str, Callable[[BaseSettings, str], object]]] = {
    bool: ("a boolean (0/1, true/false)", lambda s, name: s.getbool(name)),
    int: ("an integer", lambda s, name: s.getint(name)),
    float: ("a number", lambda s, name: s.getfloat(name)),
}
"""How each typed default's settings are read (``type(default)`` picks the row)."""


def load_settings(overrides: list[str] | None = None) -> Settings:
    """The project settings with ``KEY=VALUE`` overrides applied at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    settings = get_project_settings()
    for pair in overrides or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"a setting must look like KEY=VALUE, got {pair!r}")
        settings.set(key.strip(), value, priority="cmdline")
    check_settings(settings)
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
