"""Scrapy extensions of the archive (components built from settings, wired by signals)."""
