"""Registry of outlet profiles.

Every module in this package that defines ``PROFILE`` is an outlet: adding one is adding one
small module (plus its fixtures). Modules outside the package are outlets too when named by
``ARCHIVE_OUTLET_MODULES`` (environment variable, or Scrapy setting through the ``crawler``
CLI's and ``scrapy``'s ``-s``): comma-separated importable module names, each defining a
``PROFILE`` like the package's own, so a user adds a paper without forking. The registry
loads them once, on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.outlets.base import CmsTemplate, OutletProfile

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType

__all__ = [
    "CmsTemplate",
    "OutletProfile",
    "all_profiles",
    "external_module_names",
    "get_profile",
    "package_profiles",
    "profile_for_url",
    "use_outlet_modules",
]

_NOT_OUTLETS = {"base", "templates", "loader"}
_configured: tuple[str, ...] | None = None


def _split(value: str | Iterable[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(n.strip() for item in items for n in item.split(",") if n.strip()))


def external_module_names() -> tuple[str, ...]:
    """Modules outside the package named as outlets (the setting, else the environment)."""
    if _configured is not None:
        return _configured
    # Outside a command (a library call of extract()), the project settings module's value,
    # which carries the environment's.
    from crawler import settings as project_settings

    return _split(str(project_settings.ARCHIVE_OUTLET_MODULES or ""))


def use_outlet_modules(names: str | Iterable[str]) -> None:
    """Name the outlet modules outside the package (``ARCHIVE_OUTLET_MODULES``) and reload
    the registry with them."""
    global _configured
    wanted = _split(names)
    if wanted == external_module_names() and _configured is not None:
        return
    _configured = wanted
    _registry.cache_clear()
    _by_host.cache_clear()


def _profile_of(module: ModuleType) -> OutletProfile:
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, OutletProfile):
        raise TypeError(f"outlet module {module.__name__} defines no OutletProfile PROFILE")
    return profile


def _package_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name not in _NOT_OUTLETS and not info.name.startswith("_")
    ]


def _external_modules() -> list[ModuleType]:
    modules: list[ModuleType] = []
    for name in external_module_names():
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            raise ImportError(
                f"ARCHIVE_OUTLET_MODULES names {name!r}, which cannot be imported: {exc} "
                "(is its folder on PYTHONPATH?)"
            ) from exc
    return modules


@cache
def _registry() -> dict[str, OutletProfile]:
    profiles: dict[str, OutletProfile] = {}
    for module in [*_package_modules(), *_external_modules()]:
        profile = _profile_of(module)
        if profile.name in profiles:
            raise ValueError(
                f"two outlet modules register the name {profile.name!r} "
                f"(the second is {module.__name__})"
            )
        profiles[profile.name] = profile.effective()
    return dict(sorted(profiles.items()))


@cache
def _package_names() -> frozenset[str]:
    return frozenset(_profile_of(module).name for module in _package_modules())


@cache
def _by_host() -> dict[str, OutletProfile]:
    return {host: p for p in _registry().values() for host in p.hosts}


def all_profiles() -> list[OutletProfile]:
    """Every registered outlet, sorted by name."""
    return list(_registry().values())


def package_profiles() -> list[OutletProfile]:
    """The outlets defined inside this package (they carry fixtures in the repository)."""
    return [p for p in all_profiles() if p.name in _package_names()]


def get_profile(name: str) -> OutletProfile:
    """The outlet registered under ``name`` (spider name) or domain; KeyError if none."""
    registry = _registry()
    if name in registry:
        return registry[name]
    host = name.lower().removeprefix("www.")
    if host in _by_host():
        return _by_host()[host]
    raise KeyError(f"no outlet named {name!r}; known: {', '.join(registry)}")


def profile_for_url(url: str) -> OutletProfile | None:
    """The outlet serving ``url``, by host name, or None for an unknown site."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return _by_host().get(host)
