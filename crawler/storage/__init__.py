"""The archive's database: typed models, migrations, engine and idempotent writes.

* :mod:`crawler.storage.models` — SQLAlchemy 2 typed models (the schema);
* :mod:`crawler.storage.db` — engine from settings, SQLite WAL tuning, Alembic ``upgrade``;
* :mod:`crawler.storage.repository` — idempotent writes (articles with versions and
  deduplication, pages, crawl runs) and one-row-per-story queries;
* :mod:`crawler.storage.writer` — the background writer thread the pipelines hand items to;
* :mod:`crawler.storage.records` — small item types besides ``Article``.
"""
