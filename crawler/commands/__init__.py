"""Sub-commands of the ``crawler`` CLI, one module each.

A module here defines ``COMMAND``, a :class:`Command`; the CLI discovers them, so adding a
sub-command is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from scrapy.settings import Settings


@dataclass(frozen=True)
class Command:
    """One sub-command: its name, help line, arguments and what it runs."""

    name: str
    """The word after ``crawler``."""

    help: str
    """One line shown by ``crawler --help``."""

    add_arguments: Callable[[argparse.ArgumentParser], None]
    """Declares the sub-command's own arguments."""

    run: Callable[[argparse.Namespace, Settings], int]
    """Runs it and returns the process exit status."""


def discover() -> list[Command]:
    """Every ``COMMAND`` defined by a module of this package, sorted by name."""
    commands: list[Command] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "COMMAND", None)
        if isinstance(command, Command):
            commands.append(command)
    return sorted(commands, key=lambda c: c.name)
