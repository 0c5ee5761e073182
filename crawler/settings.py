"""Scrapy settings of the archive, plus the project's own ``ARCHIVE_*`` keys.

Every ``ARCHIVE_*`` key may come from the environment (``ARCHIVE_DATA_DIR=/srv/archive``) or
be given as a Scrapy setting (``-s ARCHIVE_DATA_DIR=/srv/archive``, also accepted by the
``crawler`` command); ``-s`` wins over the environment, which wins over the default here.
"""

from __future__ import annotations

import os

BOT_NAME = "vn_news_archive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


# --- The project's own settings -------------------------------------------------------------

ARCHIVE_DATA_DIR = _env("ARCHIVE_DATA_DIR", "./data")
"""Folder for the default SQLite database, WARC files and crawl state."""

ARCHIVE_DATABASE_URL = _env("ARCHIVE_DATABASE_URL", "")
"""SQLAlchemy URL of the database; empty means ``sqlite:///<ARCHIVE_DATA_DIR>/archive.sqlite3``.
PostgreSQL: ``postgresql+psycopg://user@127.0.0.1:5432/archive``."""

ARCHIVE_CONTACT = _env("ARCHIVE_CONTACT", "archive-operator@example.org")
"""Contact address sent in the User-Agent so outlets can reach the operator."""

ARCHIVE_MIRRORS = _env("ARCHIVE_MIRRORS", "")
"""JSON object host → origin (``{"baohatinh.vn": "http://127.0.0.1:8081"}``): requests for
that host go to the mirror while stored URLs stay the outlet's own."""

ARCHIVE_WARC_MAX_BYTES = int(_env("ARCHIVE_WARC_MAX_BYTES", str(512 * 1024 * 1024)))
"""A WARC file is closed and a new one started once it reaches this size."""

ARCHIVE_BATCH_SIZE = int(_env("ARCHIVE_BATCH_SIZE", "200"))
"""At most this many items are written to the database per transaction (a batch takes what
is queued, up to this)."""

ARCHIVE_WRITER_PROCESS = _env("ARCHIVE_WRITER_PROCESS", "true").lower() not in ("0", "false", "no")
"""Write to the database from a child process (default) rather than a thread of the crawl
process: the database work then never competes with Scrapy's reactor for the GIL."""

ARCHIVE_NEAR_DUP_THRESHOLD = float(_env("ARCHIVE_NEAR_DUP_THRESHOLD", "0.7"))
"""Estimated Jaccard similarity of word shingles above which two articles are near duplicates."""

ARCHIVE_FIRST_CRAWL_DAYS = int(_env("ARCHIVE_FIRST_CRAWL_DAYS", "2"))
"""How far back an outlet's first incremental crawl looks, in days (its *horizon*: older
articles are backfill territory)."""

ARCHIVE_DISCOVERY_LOOKBACK_DAYS = float(_env("ARCHIVE_DISCOVERY_LOOKBACK_DAYS", "7"))
"""How far before an outlet's previous complete crawl an incremental crawl looks for new
URLs (sitemap lastmods, listing dates), in days. Publication dates never keep a discovered
article out of an incremental crawl: this only bounds where it looks."""

ARCHIVE_DB_OUTAGE_MAX = float(_env("ARCHIVE_DB_OUTAGE_MAX", "300"))
"""Seconds an unreachable database is waited for (the crawl pauses meanwhile) before the
crawl stops with status "failed"; what was not stored stays due for the next crawl."""

ARCHIVE_DB_TIMEOUT = float(_env("ARCHIVE_DB_TIMEOUT", "30"))
"""PostgreSQL: seconds to connect, seconds a statement may run, and seconds unacknowledged
data may wait on a connection (TCP user timeout) before it counts as lost; keepalives probe
idle connections at the same scale. A silent database is noticed in bounded time."""

ARCHIVE_RETRY_FAILED_AFTER = float(_env("ARCHIVE_RETRY_FAILED_AFTER", "1800"))
"""Seconds after which a URL that could not be fetched (or gave no article) is due again;
four times longer after each further failure, at most a week, and given up after 8 tries."""

ARCHIVE_SHUTDOWN_TIMEOUT = float(_env("ARCHIVE_SHUTDOWN_TIMEOUT", "30"))
"""Seconds an interrupted crawl (Ctrl-C, SIGTERM) waits for its writer to commit what it
holds; what is not committed by then stays due for the next crawl."""

ARCHIVE_REDIS_URL = _env("ARCHIVE_REDIS_URL", "")
"""Redis of a shared crawl (``redis://10.0.0.5:6379/0``). Set, every ``crawler crawl`` or
``scrapy crawl`` is a worker of one crawl: the first seeds the shared queue (scrapy-redis),
the others join, and each leaves once the frontier has been drained for
``ARCHIVE_CLUSTER_IDLE`` seconds (:mod:`crawler.cluster`). Empty: a crawl on its own."""

ARCHIVE_REDIS_PREFIX = _env("ARCHIVE_REDIS_PREFIX", "vnarchive")
"""Namespace of this archive's keys in Redis (two archives on one Redis need two)."""

ARCHIVE_WORKER_ID = _env("ARCHIVE_WORKER_ID", "")
"""Name of this worker in a shared crawl (its leases, its WARC file names); empty:
``<host>-<pid>``."""

ARCHIVE_CLUSTER_IDLE = float(_env("ARCHIVE_CLUSTER_IDLE", "30"))
"""Seconds a shared crawl's frontier must stay drained (queue empty, nothing leased) before
its workers leave."""

ARCHIVE_CLUSTER_LEASE_TTL = float(_env("ARCHIVE_CLUSTER_LEASE_TTL", "20"))
"""Seconds after its last heartbeat that a worker counts as dead: the requests it held go
back to the queue and its politeness slots lapse."""

ARCHIVE_CLUSTER_RELEASE_EVERY = float(_env("ARCHIVE_CLUSTER_RELEASE_EVERY", "1"))
"""Seconds between two releases of finished leases (each waits for the writer's commit)."""

ARCHIVE_CLUSTER_PREFETCH = int(_env("ARCHIVE_CLUSTER_PREFETCH", "2"))
"""Requests of the shared queue one crawler (one outlet) of a worker holds at most."""

ARCHIVE_WORKER_CONCURRENCY = int(_env("ARCHIVE_WORKER_CONCURRENCY", "16"))
"""Downloads in flight of one worker process, all outlets together (shared crawls)."""

ARCHIVE_OUTLET_CONCURRENCY = int(_env("ARCHIVE_OUTLET_CONCURRENCY", "4"))
"""Requests in flight to one outlet, all workers of a shared crawl together."""

ARCHIVE_OUTLET_RATE = float(_env("ARCHIVE_OUTLET_RATE", "2"))
"""Requests per second to one outlet, all workers of a shared crawl together (a token
bucket in Redis; robots.txt Crawl-delay lowers it); 0: no rate limit."""

ARCHIVE_OUTLET_BURST = int(_env("ARCHIVE_OUTLET_BURST", "1"))
"""Tokens the per-outlet bucket holds: requests allowed back to back after a pause."""

ARCHIVE_EXTRACT_PROCESSES = _env("ARCHIVE_EXTRACT_PROCESSES", "0")
"""Processes that extract the pages of a crawl (``auto``: one per core); 0 extracts on the
crawl's reactor thread, which measured faster on 2 cores (README, crawler.parallel)."""

# --- Politeness -----------------------------------------------------------------------------

USER_AGENT = f"vn-news-archive/0.1 (+mailto:{ARCHIVE_CONTACT})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 5

# --- Engine ---------------------------------------------------------------------------------

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = _env("ARCHIVE_LOG_LEVEL", "INFO")
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP server (2.16+) stays off unless the operator asks for it.
REMOTE_CONTROL_ENABLED = False

# --- Archive components ---------------------------------------------------------------------

DOWNLOAD_HANDLERS = {
    # Mirrored hosts (ARCHIVE_MIRRORS) are fetched from their local origin; URLs stay real.
    "http": "crawler.middleware.mirrors.MirrorDownloadHandler",
    "https": "crawler.middleware.mirrors.MirrorDownloadHandler",
}
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    # After RobotsTxt (100): robots.txt Crawl-delay becomes a floor under the slot delay.
    "crawler.middleware.crawldelay.CrawlDelayMiddleware": 120,
    # Retries wait (exponential backoff, Retry-After) instead of hammering a failing host.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middleware.retry.BackoffRetryMiddleware": 550,
    # After HttpCompression (590) so bodies are decompressed, before Retry (550) so every
    # retried 500 is archived; redirects are archived from the response_downloaded signal.
    "crawler.archive.middleware.WarcArchiveMiddleware": 585,
}
ITEM_PIPELINES = {
    # URLs canonicalised and text in NFC before anything else sees the item.
    "pipelines.normalize.NormalizePipeline": 100,
    # Dedup and storage, batched on a writer thread off the reactor.
    "pipelines.store.StorePipeline": 500,
}
# ARCHIVE_REDIS_URL makes the crawl a worker of a shared crawl (scrapy-redis, crawler.cluster).
ADDONS = {"crawler.cluster.addon.ClusterAddon": 0}
EXTENSIONS = {
    # One pages row per response (with its WARC location) and one crawl_runs row per crawl.
    "pipelines.pages.PageLedger": 500,
}
# Forgets JOBDIR request fingerprints after a hard kill, so --resume leaves no holes.
DUPEFILTER_CLASS = "crawler.middleware.dupefilter.CrashSafeDupeFilter"

ARCHIVE_RESPECT_CRAWL_DELAY = _env("ARCHIVE_RESPECT_CRAWL_DELAY", "true").lower() != "false"
"""Whether robots.txt Crawl-delay sets a floor under each site's request delay."""

ARCHIVE_MAX_CRAWL_DELAY = float(_env("ARCHIVE_MAX_CRAWL_DELAY", "60"))
"""The largest Crawl-delay honoured, in seconds (larger ones are capped and logged)."""

ARCHIVE_RETRY_BACKOFF = float(_env("ARCHIVE_RETRY_BACKOFF", "1.0"))
"""Seconds before the first retry of a failed request; doubled at each further retry."""

ARCHIVE_RETRY_BACKOFF_MAX = float(_env("ARCHIVE_RETRY_BACKOFF_MAX", "60"))
"""The longest wait between two tries of a request, in seconds."""
