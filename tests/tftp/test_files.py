"""The real-filesystem ports: FileSource reads at explicit offsets (one descriptor per
transfer, no shared file position) and the identity check at open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanctl.tftp.files import FileSource


def test_reads_return_exact_slices(tmp_path: Path) -> None:
    data = os.urandom(65536 * 2 + 100)
    path = tmp_path / "f"
    path.write_bytes(data)
    st = path.stat()
    source = FileSource.open(str(path), (st.st_dev, st.st_ino))
    try:
        out = bytearray()
        while chunk := source.read(len(out), 65536):
            out += chunk
            if len(chunk) < 65536:
                break
        assert bytes(out) == data
        assert source.read(5, 10) == data[5:15]  # going back re-reads
        assert source.read(len(data), 10) == b""
    finally:
        source.close()


def test_interleaved_sources_of_one_file_do_not_share_a_position(tmp_path: Path) -> None:
    """Two transfers of the same file, read alternately: each gets the file's bytes."""
    data = os.urandom(200_000)
    path = tmp_path / "f"
    path.write_bytes(data)
    st = path.stat()
    a = FileSource.open(str(path), (st.st_dev, st.st_ino))
    b = FileSource.open(str(path), (st.st_dev, st.st_ino))
    try:
        assert a.fd != b.fd
        got_a, got_b = bytearray(), bytearray()
        while len(got_a) < len(data) or len(got_b) < len(data):
            got_a += a.read(len(got_a), 1000)
            got_b += b.read(len(got_b), 1468)
            os.lseek(a.fd, 7, os.SEEK_SET)  # a moved file position changes nothing either
        assert bytes(got_a) == data and bytes(got_b) == data
    finally:
        a.close()
        b.close()


def test_open_refuses_a_swapped_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"one")
    st = path.stat()
    os.link(path, tmp_path / "keep")  # the old inode stays alive: its number is not reused
    path.unlink()
    path.write_bytes(b"two")  # a different inode under the same name
    with pytest.raises(PermissionError):
        FileSource.open(str(path), (st.st_dev, st.st_ino))
