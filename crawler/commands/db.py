"""``crawler db upgrade|current``: apply or show the database migrations.

The database is ``ARCHIVE_DATABASE_URL`` (``-s`` or the environment), by default the SQLite
file under ``ARCHIVE_DATA_DIR``. Migrations also run automatically on first use; this
command is for deployments that migrate explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.commands import Command
from crawler.config import database_url

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=("upgrade", "current"), help="upgrade to the newest schema, or show it"
    )
    parser.add_argument("--revision", default="head", help="target revision of upgrade")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.engine import make_url

    from crawler.storage import db

    engine = db.engine_from_settings(settings, migrate=False)
    shown = make_url(database_url(settings)).render_as_string(hide_password=True)
    try:
        if args.action == "upgrade":
            db.upgrade(engine, args.revision)
            print(f"{shown}: at revision {db.current_revision(engine)}")
        else:
            current = db.current_revision(engine)
            head = db.head_revision()
            state = "up to date" if current == head else f"behind (head is {head})"
            print(f"{shown}: revision {current or 'none'} ({state})")
    finally:
        engine.dispose()
    return 0


COMMAND = Command(
    name="db",
    help="apply the database migrations (upgrade) or show the current revision",
    add_arguments=_add_arguments,
    run=_run,
)
