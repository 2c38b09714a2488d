"""The real-filesystem ports: chunked FileSource reads and the identity check at open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanctl.tftp.files import FileSource


def test_reads_in_chunks_return_exact_slices(tmp_path: Path) -> None:
    data = os.urandom(FileSource.CHUNK * 2 + 100)
    path = tmp_path / "f"
    path.write_bytes(data)
    st = path.stat()
    source = FileSource.open(str(path), (st.st_dev, st.st_ino))
    try:
        out = bytearray()
        while chunk := source.read(len(out), 1468):
            out += chunk
            if len(chunk) < 1468:
                break
        assert bytes(out) == data
        assert source.read(5, 10) == data[5:15]  # going back re-reads
    finally:
        source.close()


def test_open_refuses_a_swapped_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"one")
    st = path.stat()
    os.link(path, tmp_path / "keep")  # the old inode stays alive: its number is not reused
    path.unlink()
    path.write_bytes(b"two")  # a different inode under the same name
    with pytest.raises(PermissionError):
        FileSource.open(str(path), (st.st_dev, st.st_ino))
