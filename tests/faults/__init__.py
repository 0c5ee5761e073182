"""Fault injection for tests: a hostile loopback news site, a TCP proxy that cuts or silences
connections, and a data directory that fills up.

Test-only: nothing under ``crawler/``, ``spiders/`` or ``pipelines/`` imports it. Import it as
``tests.faults.<module>`` (the repository root is on ``sys.path`` under pytest).
"""
