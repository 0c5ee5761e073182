"""Crawler and archive for Vietnamese provincial news outlets."""

__version__ = "0.1.0"
