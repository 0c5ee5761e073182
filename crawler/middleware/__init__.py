"""Scrapy components of the archive that are neither spiders nor item pipelines."""
