"""Alembic migrations of the archive, run programmatically by :mod:`crawler.storage.db`."""
