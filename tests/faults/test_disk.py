"""The disk-full helpers: a write past the limit fails with an OSError, nothing else happens."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.disk import can_mount_tmpfs, limit_file_size, small_tmpfs

CHILD = """
import errno, sys
written = 0
try:
    with open(sys.argv[1], "wb") as out:
        for _ in range(64):
            out.write(b"x" * 65536)
            out.flush()
            written += 65536
except OSError as exc:
    print(errno.errorcode[exc.errno], written)
    sys.exit(0)
print("NO ERROR", written)
"""


def test_tmpfs_fills_up_with_enospc(tmp_path: Path) -> None:
    assert os.getuid() == 0, "the tests run as root, as on CI: mounting must work"
    with small_tmpfs(1 << 20, parent=tmp_path) as data_dir:
        stats = os.statvfs(data_dir)
        assert stats.f_blocks * stats.f_frsize == 1 << 20
        warc = data_dir / "warc" / "part-00001.warc.gz"
        warc.parent.mkdir()
        with pytest.raises(OSError) as full, warc.open("wb") as out:
            for _ in range(32):
                out.write(b"x" * 65536)
                out.flush()
        assert full.value.errno == errno.ENOSPC
        # The disk is full for every file, not just the one that grew.
        with pytest.raises(OSError) as also_full:
            (data_dir / "archive.sqlite3-journal").write_bytes(b"y" * 65536)
        assert also_full.value.errno == errno.ENOSPC
        mount_point = data_dir
    assert not mount_point.exists()
    assert str(mount_point) not in Path("/proc/self/mounts").read_text()
    assert can_mount_tmpfs()


def test_file_size_limit_gives_efbig_in_the_child(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(target)],
        preexec_fn=limit_file_size(1 << 20),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert completed.stdout.split() == ["EFBIG", str(1 << 20)]
    assert target.stat().st_size == 1 << 20
    # The limit is per file: another file may still be written.
    second = tmp_path / "second.bin"
    completed = subprocess.run(
        [sys.executable, "-c", CHILD.replace("range(64)", "range(8)"), str(second)],
        preexec_fn=limit_file_size(1 << 20),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert completed.stdout.split() == ["NO", "ERROR", str(8 * 65536)]
