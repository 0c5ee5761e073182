"""Registry of outlet profiles.

Every module in this package that defines ``PROFILE`` is an outlet: adding one is adding one
small module (plus its fixtures). The registry loads them once, on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from urllib.parse import urlsplit

from crawler.outlets.base import CmsTemplate, OutletProfile

__all__ = ["CmsTemplate", "OutletProfile", "all_profiles", "get_profile", "profile_for_url"]

_NOT_OUTLETS = {"base", "templates"}


@cache
def _registry() -> dict[str, OutletProfile]:
    profiles: dict[str, OutletProfile] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_OUTLETS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        profile = getattr(module, "PROFILE", None)
        if not isinstance(profile, OutletProfile):
            raise TypeError(f"outlet module {module.__name__} defines no OutletProfile PROFILE")
        if profile.name in profiles:
            raise ValueError(f"two outlet modules register the name {profile.name!r}")
        profiles[profile.name] = profile.effective()
    return dict(sorted(profiles.items()))


@cache
def _by_host() -> dict[str, OutletProfile]:
    return {host: p for p in _registry().values() for host in p.hosts}


def all_profiles() -> list[OutletProfile]:
    """Every registered outlet, sorted by name."""
    return list(_registry().values())


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
