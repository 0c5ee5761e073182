"""Connecting to the shared crawl's Redis, and naming the worker.

Settings read: ``ARCHIVE_REDIS_URL`` (``redis://host:6379/0``; empty: no shared crawl),
``ARCHIVE_REDIS_PREFIX`` and ``ARCHIVE_WORKER_ID``.
"""

from __future__ import annotations

import os
import re
import socket
from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

SOCKET_TIMEOUT = 30.0
"""Seconds a Redis command may take before the worker treats Redis as unreachable."""


def redis_url(settings: BaseSettings) -> str:
    """``ARCHIVE_REDIS_URL``, or empty when the crawl is not a shared one."""
    return str(settings.get("ARCHIVE_REDIS_URL") or "").strip()


def cluster_enabled(settings: BaseSettings) -> bool:
    """Whether the settings make this crawl a worker of a shared crawl."""
    return bool(redis_url(settings))


def prefix(settings: BaseSettings) -> str:
    """``ARCHIVE_REDIS_PREFIX``: the namespace of this archive's keys."""
    return str(settings.get("ARCHIVE_REDIS_PREFIX") or "vnarchive")


def default_worker_id() -> str:
    """``<host>-<pid>``: unique among the processes of a cluster."""
    return clean_worker_id(f"{socket.gethostname()}-{os.getpid()}")


def clean_worker_id(raw: str) -> str:
    """A worker id usable in Redis keys and WARC file names."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._") or default_worker_id()


def worker_id(settings: BaseSettings) -> str:
    """``ARCHIVE_WORKER_ID``, or :func:`default_worker_id`."""
    raw = str(settings.get("ARCHIVE_WORKER_ID") or "")
    return clean_worker_id(raw) if raw else default_worker_id()


def connect(url: str, **extra: Any) -> redis.Redis:
    """A (thread-safe, pooled) client; it connects on first use."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        health_check_interval=30,
        **extra,
    )


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:@/]*):[^@/]*@", r"://\1:***@", url)
