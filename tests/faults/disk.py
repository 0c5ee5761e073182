"""A data directory that fills up, for disk-full tests.

Two mechanisms, both tested (``tests/faults/test_disk.py``):

* :func:`small_tmpfs` — a real small filesystem: a tmpfs of the given size mounted on a fresh
  directory, unmounted afterwards. Every write past its size fails with ``ENOSPC`` ("No space
  left on device"), across all files together, exactly as a full disk does: the WARC writer,
  SQLite and their temporary files all see it. It needs the right to mount (``CAP_SYS_ADMIN``):
  the tests and CI run as root (uid 0) on this kind of machine, where ``mount -t tmpfs``
  works, so this is the one to use. Where mounting is refused it raises
  :class:`MountRefused` (a clear failure, never a silent skip).
* :func:`limit_file_size` — an unprivileged fallback: a ``preexec_fn`` for the crawl
  subprocess that sets ``RLIMIT_FSIZE`` and ignores ``SIGXFSZ``, so a write that would make
  *one file* larger than the limit fails with ``EFBIG`` ("File too large") instead of
  killing the process. It limits each file, not the directory: a WARC writer that rotates
  files can write on, so it models a disk that is full for large files only.

A loop-mounted image was not needed (tmpfs works), and FUSE (``fuse2fs``) is not installed.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class MountRefused(RuntimeError):
    """Mounting a tmpfs was refused (no ``CAP_SYS_ADMIN``): use :func:`limit_file_size`."""


def _is_mounted(path: Path) -> bool:
    target = str(path.resolve())
    with Path("/proc/self/mounts").open(encoding="utf-8") as mounts:
        return any(line.split()[1] == target for line in mounts if len(line.split()) > 1)


@contextlib.contextmanager
def small_tmpfs(size_bytes: int, parent: Path | None = None) -> Iterator[Path]:
    """A directory on a fresh tmpfs of ``size_bytes`` (rounded up to whole pages by the
    kernel); unmounted and removed on exit."""
    mount_point = Path(tempfile.mkdtemp(prefix="small-tmpfs-", dir=parent))
    completed = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        mount_point.rmdir()
        raise MountRefused(
            f"mount -t tmpfs failed (uid {os.getuid()}): {completed.stderr.strip()}; "
            "use tests.faults.disk.limit_file_size in the crawl subprocess instead"
        )
    try:
        yield mount_point
    finally:
        # Lazy: a process still holding a file there must not keep the mount alive.
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)
        if not _is_mounted(mount_point):
            with contextlib.suppress(OSError):
                mount_point.rmdir()


def can_mount_tmpfs() -> bool:
    """Whether :func:`small_tmpfs` works here."""
    try:
        with small_tmpfs(1 << 20):
            return True
    except MountRefused:
        return False


def limit_file_size(limit_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess``: files of the child may not grow past
    ``limit_bytes``; a write beyond fails with ``OSError(EFBIG)`` (SIGXFSZ ignored)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply
