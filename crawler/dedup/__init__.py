"""Deduplication of articles: exact (normalised body hash) and near (MinHash-LSH).

The database decides: :mod:`crawler.dedup.text` normalises and hashes text, and
:mod:`crawler.dedup.minhash` computes signatures and LSH band keys; the index itself lives in
database tables (see :mod:`crawler.storage.models`) so it survives restarts and is shared by
concurrent writers.
"""
