"""Scrapy add-on finishing the archive's settings on every crawler, however it is started.

``scrapy crawl`` and the ``crawler`` command both end up here (``ADDONS`` in
:mod:`crawler.settings`), once ``-s`` values, the environment and spider settings are known:

* every ``ARCHIVE_*`` value must parse as its default's type
  (:func:`crawler.config.check_settings`): a bad value stops the crawl before it starts;
* ``USER_AGENT`` is built from ``ARCHIVE_CONTACT`` (``vn-news-archive/<version>
  (+mailto:<contact>)``) unless ``USER_AGENT`` itself was set, so a contact given with ``-s``
  reaches the outlets too.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

from crawler.config import check_settings

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

DISTRIBUTION = "vn-news-archive"


def version() -> str:
    """The installed version of the project (``0+unknown`` when run from a bare checkout)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def user_agent(contact: str) -> str:
    """The User-Agent the archive sends, naming the operator's contact address."""
    agent = f"{DISTRIBUTION}/{version()}"
    return f"{agent} (+mailto:{contact})" if contact else agent


class ArchiveSettings:
    """Checks the ``ARCHIVE_*`` settings and builds ``USER_AGENT`` (see the module docstring).

    Settings read: every ``ARCHIVE_*`` key, ``ARCHIVE_CONTACT``, ``USER_AGENT``."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Called by Scrapy's add-on manager before the crawler's components are built."""
        check_settings(settings)
        # "addon" priority: above Scrapy's default USER_AGENT, below anything set explicitly.
        settings.set(
            "USER_AGENT", user_agent(str(settings.get("ARCHIVE_CONTACT") or "")), priority="addon"
        )
