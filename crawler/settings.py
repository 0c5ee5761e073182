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
# Applies ARCHIVE_OUTLET_MODULES before the outlet spiders are generated.
SPIDER_LOADER_CLASS = "crawler.outlets.loader.OutletSpiderLoader"


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
"""How far back an outlet's first incremental crawl looks, in days."""

ARCHIVE_LEARN_BOILERPLATE = _env("ARCHIVE_LEARN_BOILERPLATE", "true").lower() not in (
    "0",
    "false",
    "no",
)
"""Apply the boilerplate learned from the archive while crawling, and learn it again from
what each crawl archived (``crawler boilerplate learn`` does the same by hand)."""

ARCHIVE_OUTLET_MODULES = _env("ARCHIVE_OUTLET_MODULES", "")
"""Comma-separated Python modules outside the package that each define an outlet
``PROFILE`` (``mypapers.baoxyz,mypapers.baoabc``): outlets added without forking."""

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
EXTENSIONS = {
    # One pages row per response (with its WARC location) and one crawl_runs row per crawl.
    "pipelines.pages.PageLedger": 500,
    # Learned boilerplate handed to the spider, learned again when it closes.
    "crawler.extensions.boilerplate.LearnedBoilerplateExtension": 600,
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
