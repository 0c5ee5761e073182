"""Errors a user can act on, told in one line: what is wrong and what to do.

The CLI (:func:`crawler.cli.main`) runs every command through :func:`run_command`, which turns
the failures an operator meets first into one line on stderr and a documented exit status;
``crawler --debug …`` shows the full traceback instead.

=====  ====================================================================================
exit   meaning
=====  ====================================================================================
2      bad usage: unknown outlet, bad date, a database URL that is not one, a path that
       cannot be written or read
69     the database cannot be reached (sysexits ``EX_UNAVAILABLE``)
70     an internal error (a bug: run again with ``--debug`` and report the traceback)
=====  ====================================================================================

(``crawler crawl`` adds its own: see :mod:`crawler.runstatus`.)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

if TYPE_CHECKING:
    from collections.abc import Callable

EX_USAGE = 2
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70


_PATH_ERRORS = (
    PermissionError,
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    IsADirectoryError,
)
"""Errors of a path the user gave (an output file, a data directory): bad usage."""


class UsageError(Exception):
    """The command line or the configuration is wrong; the message says how."""


def masked(url: str) -> str:
    """A database URL fit for a message: the password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _one_line(text: str, secret: str | None = None) -> str:
    line = " ".join(str(text).split())
    if secret:
        line = line.replace(secret, "***")
    return line[:400]


def describe(exc: BaseException, database_url: str | None) -> tuple[int, str]:
    """The exit status and one-line message for an error escaping a command."""
    password = None
    if database_url:
        try:
            password = make_url(database_url).password
        except ArgumentError:
            password = None
        password = str(password) if password else None
    where = masked(database_url) if database_url else "the database"
    if isinstance(exc, UsageError):
        return EX_USAGE, str(exc)
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return EX_USAGE, (
            f"ARCHIVE_DATABASE_URL is not a usable database URL ({_one_line(str(exc))}); "
            "give e.g. postgresql+psycopg://user@host:5432/archive, or leave it empty for SQLite"
        )
    if isinstance(exc, DBAPIError):
        reason = _one_line(str(exc.orig), password)
        return EX_UNAVAILABLE, (
            f"cannot use the database {where}: {reason}. Check ARCHIVE_DATABASE_URL and that "
            "the server is running and reachable"
        )
    if isinstance(exc, _PATH_ERRORS):
        target = exc.filename or "a file"
        return EX_USAGE, f"cannot use {target}: {exc.strerror or exc}"
    return EX_SOFTWARE, (
        f"internal error: {type(exc).__name__}: {_one_line(str(exc), password)} "
        "(run again with --debug for the traceback)"
    )


def run_command(prog: str, work: Callable[[], int], database_url: str | None, debug: bool) -> int:
    """Run a command; an escaping error becomes one line on stderr and its exit status."""
    try:
        return work()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        status, message = describe(exc, database_url)
        print(f"{prog}: {message}", file=sys.stderr)
        return status
