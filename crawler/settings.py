"""Scrapy settings of the archive, plus the project's own ``ARCHIVE_*`` keys.

Adding a setting is one declaration with its default, followed by its docstring (as every
``ARCHIVE_*`` key below): ``ARCHIVE_SOMETHING = 10`` and a one- or two-sentence string.

Every ``ARCHIVE_*`` key declared here may then come from the environment variable of the same
name (``ARCHIVE_DATA_DIR=/srv/archive``) or from the command line (``-s
ARCHIVE_DATA_DIR=/srv/archive``, for ``crawler`` and ``scrapy`` alike): ``-s`` wins over the
environment, which wins over the default here. A value from the environment or ``-s`` is a
string, so code reads every setting through Scrapy's ``Settings`` (``getbool``, ``getint``,
``getfloat``, ``get``), which parses both the same way (``0``/``1``/``true``/``false``...); and
:func:`crawler.config.check_settings` rejects a value that does not parse as its default's
type before anything runs. The environment is applied once, at the end of this module.
"""

from __future__ import annotations

from crawler.config import from_environment

BOT_NAME = "vn_news_archive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# Applies ARCHIVE_OUTLET_MODULES before the outlet spiders are generated.
SPIDER_LOADER_CLASS = "crawler.outlets.loader.OutletSpiderLoader"

# --- The project's own settings -------------------------------------------------------------

ARCHIVE_DATA_DIR = "./data"
"""Folder for the default SQLite database, WARC files and crawl state."""

ARCHIVE_DATABASE_URL = ""
"""SQLAlchemy URL of the database; empty means ``sqlite:///<ARCHIVE_DATA_DIR>/archive.sqlite3``.
PostgreSQL: ``postgresql+psycopg://user@127.0.0.1:5432/archive``."""

ARCHIVE_CONTACT = "archive-operator@example.org"
"""Contact address of the operator: sent in the User-Agent (``USER_AGENT`` is built from it
unless set itself) so outlets can reach the operator, and written as the operator in every
WARC file's ``warcinfo`` record."""

ARCHIVE_MIRRORS = ""
"""JSON object host → origin (``{"baohatinh.vn": "http://127.0.0.1:8081"}``): requests for
that host go to the mirror while stored URLs stay the outlet's own."""

ARCHIVE_WARC_MAX_BYTES = 512 * 1024 * 1024
"""A WARC file is closed and a new one started once it reaches this size."""

ARCHIVE_WARC_REVISITS = True
"""Store a re-fetched response whose payload is byte-identical to the URL's previous capture
as a small ``revisit`` record (identical-payload-digest profile) instead of in full."""

ARCHIVE_RUN_ID = ""
"""Prefix of this crawl's WARC file names; empty means ``<UTC start time>-<spider name>``."""

ARCHIVE_BATCH_SIZE = 200
"""At most this many items are written to the database per transaction (a batch takes what
is queued, up to this)."""

ARCHIVE_WRITER_PROCESS = True
"""Write to the database from a child process (default) rather than a thread of the crawl
process: the database work then never competes with Scrapy's reactor for the GIL."""

ARCHIVE_WRITER_QUEUE = 0
"""Operations queued for the storage writer above which the store pipeline waits for room;
0 means four times ``ARCHIVE_BATCH_SIZE``."""

ARCHIVE_NEAR_DUP_THRESHOLD = 0.7
"""Estimated Jaccard similarity of word shingles above which two articles are near duplicates."""

ARCHIVE_FIRST_CRAWL_DAYS = 2
"""How far back an outlet's first incremental crawl looks, in days (its *horizon*: older
articles are backfill territory)."""

ARCHIVE_DISCOVERY_LOOKBACK_DAYS = 7.0
"""How far before an outlet's previous complete crawl an incremental crawl looks for new
URLs (sitemap lastmods, listing dates), in days. Publication dates never keep a discovered
article out of an incremental crawl: this only bounds where it looks."""

ARCHIVE_DB_OUTAGE_MAX = 300.0
"""Seconds an unreachable database is waited for (the crawl pauses meanwhile) before the
crawl stops with status "failed"; what was not stored stays due for the next crawl."""

ARCHIVE_DB_TIMEOUT = 30.0
"""PostgreSQL: seconds to connect, seconds a statement may run, and seconds unacknowledged
data may wait on a connection (TCP user timeout) before it counts as lost; keepalives probe
idle connections at the same scale. A silent database is noticed in bounded time."""

ARCHIVE_RETRY_FAILED_AFTER = 1800.0
"""Seconds after which a URL that could not be fetched (or gave no article) is due again;
four times longer after each further failure, at most a week, and given up after 8 tries."""

ARCHIVE_SHUTDOWN_TIMEOUT = 30.0
"""Seconds an interrupted crawl (Ctrl-C, SIGTERM) waits for its writer to commit what it
holds; what is not committed by then stays due for the next crawl."""

ARCHIVE_LEARN_BOILERPLATE = True
"""Apply the boilerplate learned from the archive while crawling, and learn it again from
what each crawl archived (``crawler boilerplate learn`` does the same by hand)."""

ARCHIVE_OUTLET_MODULES = ""
"""Comma-separated Python modules outside the package that each define an outlet
``PROFILE`` (``mypapers.baoxyz,mypapers.baoabc``): outlets added without forking."""

ARCHIVE_REDIS_URL = ""
"""Redis of a shared crawl (``redis://10.0.0.5:6379/0``). Set, every ``crawler crawl`` or
``scrapy crawl`` is a worker of one crawl: the first seeds the shared queue (scrapy-redis),
the others join, and each leaves once the frontier has been drained for
``ARCHIVE_CLUSTER_IDLE`` seconds (:mod:`crawler.cluster`). Empty: a crawl on its own."""

ARCHIVE_REDIS_PREFIX = "vnarchive"
"""Namespace of this archive's keys in Redis (two archives on one Redis need two)."""

ARCHIVE_WORKER_ID = ""
"""Name of this worker in a shared crawl (its leases, its WARC file names); empty:
``<host>-<pid>``."""

ARCHIVE_CLUSTER_IDLE = 30.0
"""Seconds a shared crawl's frontier must stay drained (queue empty, nothing leased) before
its workers leave."""

ARCHIVE_CLUSTER_LEASE_TTL = 20.0
"""Seconds after its last heartbeat that a worker counts as dead: the requests it held go
back to the queue and its politeness slots lapse."""

ARCHIVE_CLUSTER_RELEASE_EVERY = 1.0
"""Seconds between two releases of finished leases (each waits for the writer's commit)."""

ARCHIVE_CLUSTER_PREFETCH = 2
"""Requests of the shared queue one crawler (one outlet) of a worker holds at most."""

ARCHIVE_WORKER_CONCURRENCY = 16
"""Downloads in flight of one worker process, all outlets together (shared crawls)."""

ARCHIVE_OUTLET_CONCURRENCY = 4
"""Requests in flight to one outlet, all workers of a shared crawl together."""

ARCHIVE_OUTLET_RATE = 2.0
"""Requests per second to one outlet, all workers of a shared crawl together (a token
bucket in Redis; robots.txt Crawl-delay lowers it); 0: no rate limit."""

ARCHIVE_OUTLET_BURST = 1
"""Tokens the per-outlet bucket holds: requests allowed back to back after a pause."""

ARCHIVE_EXTRACT_PROCESSES = "0"
"""Processes that extract the pages of a crawl (``auto``: one per core); 0 extracts on the
crawl's reactor thread, which measured faster on 2 cores (README, crawler.parallel)."""

# --- Politeness -----------------------------------------------------------------------------

# USER_AGENT: built from ARCHIVE_CONTACT by crawler.addon unless set itself (-s USER_AGENT=...).
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output, however little it
# yields (an article page: one item). 100, the default, cost half the time of a fetch-only
# crawl on loopback; 16 keeps a listing's links flowing (benchmarks.crawl_throughput, README).
CONCURRENT_ITEMS = 16
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
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    # Bodies are archived in the coding the server chose: only codings the web-archive tools
    # (warcio, pywb) decode. Scrapy would also offer zstd, which they cannot read back.
    "Accept-Encoding": "gzip, deflate, br",
}

# --- Engine ---------------------------------------------------------------------------------

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP server (2.16+) stays off unless the operator asks for it.
REMOTE_CONTROL_ENABLED = False

# --- Archive components ---------------------------------------------------------------------

ADDONS = {
    # Checks the ARCHIVE_* values; USER_AGENT from ARCHIVE_CONTACT (here, environment or -s).
    "crawler.addon.ArchiveSettings": 0,
    # ARCHIVE_REDIS_URL makes the crawl a worker of a shared crawl (scrapy-redis,
    # crawler.cluster); after the checks above.
    "crawler.cluster.addon.ClusterAddon": 10,
}
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
    # Just after Retry (responses go from high to low numbers): a 429/503's Retry-After
    # pauses the host's slot before the retry is decided, and flags the response so the retry
    # waits in the slot instead of sleeping; requests to a given-up host fail here at once.
    "crawler.middleware.hostpause.HostPauseMiddleware": 560,
    # First to see every response: one the WARC archive could not keep goes no further.
    "crawler.archive.gate.ArchivedOnlyMiddleware": 990,
}
ITEM_PIPELINES = {
    # URLs canonicalised and text in NFC before anything else sees the item.
    "pipelines.normalize.NormalizePipeline": 100,
    # Dedup and storage, batched on a writer thread off the reactor.
    "pipelines.store.StorePipeline": 500,
}
EXTENSIONS = {
    # Every response archived as received (wire bytes), from the response_downloaded signal.
    "crawler.archive.extension.WarcArchive": 400,
    # One pages row per response (with its WARC location) and one crawl_runs row per crawl.
    "pipelines.pages.PageLedger": 500,
    # Learned boilerplate handed to the spider, learned again when it closes.
    "crawler.extensions.boilerplate.LearnedBoilerplateExtension": 600,
}
# Forgets JOBDIR request fingerprints after a hard kill, so --resume leaves no holes.
DUPEFILTER_CLASS = "crawler.middleware.dupefilter.CrashSafeDupeFilter"

ARCHIVE_RESPECT_CRAWL_DELAY = True
"""Whether robots.txt Crawl-delay sets a floor under each site's request delay."""

ARCHIVE_MAX_CRAWL_DELAY = 60.0
"""The largest Crawl-delay honoured, in seconds (larger ones are capped and logged)."""

ARCHIVE_RETRY_BACKOFF = 1.0
"""Seconds before the first retry of a failed request; doubled at each further retry."""

ARCHIVE_RETRY_BACKOFF_MAX = 60.0
"""The longest wait between two tries of a request, in seconds."""

ARCHIVE_RETRY_AFTER_MAX = 300.0
"""The longest pause a host's ``Retry-After`` (on a 429 or 503) imposes, in seconds; longer
values are capped and logged."""

ARCHIVE_HOST_GIVE_UP_AFTER = 900.0
"""A host whose Retry-After pauses add up to more than this many seconds in one run is given
up for the rest of it (its requests fail at once, reported); 0 disables this rule."""

ARCHIVE_HOST_GIVE_UP_STREAK = 50
"""A host that answers this many requests in a row with 429 or 503 is given up for the rest
of the run; 0 disables this rule."""

# --- The environment (keep this last) -------------------------------------------------------

declared = {name: value for name, value in globals().items() if name.startswith("ARCHIVE_")}
"""The ``ARCHIVE_*`` keys with their defaults, before the environment is applied (the types
:func:`crawler.config.check_settings` checks values against). Lower case: not a setting."""

# Every ARCHIVE_* key above takes the environment variable of the same name when it is set
# (as a string, parsed by Settings.getbool/getint/... like a -s value). Declarations placed
# after this line would not: tests/test_settings.py fails for any such key.
globals().update(from_environment(declared))
