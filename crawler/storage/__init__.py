"""The archive's database: typed models, migrations, engine and idempotent writes.

* :mod:`crawler.storage.models` — SQLAlchemy 2 typed models (the schema);
* :mod:`crawler.storage.db` — engine from settings, SQLite WAL tuning, Alembic ``upgrade``;
* :mod:`crawler.storage.repository` — the batched write entry point, composed of
  :mod:`~crawler.storage.runs` (crawl runs), :mod:`~crawler.storage.pages` (fetched pages),
  :mod:`~crawler.storage.articles` and :mod:`~crawler.storage.bulk` (articles),
  :mod:`~crawler.storage.versions` (texts and their history) and
  :mod:`~crawler.storage.dedup_index` (exact and near-duplicate index);
* :mod:`crawler.storage.changes` — the change log every article write adds to, and the
  consumers' cursor over it; :mod:`crawler.storage.consumers` — their checkpoints;
* :mod:`crawler.storage.stories` — one-row-per-story queries;
* :mod:`crawler.storage.batches`, :mod:`~crawler.storage.writer`,
  :mod:`~crawler.storage.worker` — the background writer the pipelines hand items to;
* :mod:`crawler.storage.records` — small item types besides ``Article``.
"""
