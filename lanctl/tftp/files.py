"""The real filesystem behind the TFTP ports: `OsFileSystem` for `paths.resolve` and
`FileSource`, a `BlockSource` reading an open file descriptor with pread(2) in chunks
(a file is never loaded whole into memory).  Used only by server.py; tests of the pure
modules may use them on temporary directories.
"""

from __future__ import annotations

import os


class OsFileSystem:
    """`paths.FileSystem` over the os module."""

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def stat(self, path: str) -> os.stat_result:
        return os.stat(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)


class FileSource:
    """`engine.BlockSource` over a file descriptor this object owns."""

    CHUNK = 65536  # bytes per pread(2): small blocks are sliced from one read

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._start = 0
        self._buffer = b""

    @classmethod
    def open(cls, path: str, identity: tuple[int, int]) -> FileSource:
        """Open `path` read-only; PermissionError if it is no longer the file checked."""
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != identity:  # swapped since resolve(): refuse
                raise PermissionError(13, "Permission denied")
        except BaseException:
            os.close(fd)
            raise
        return cls(fd)

    def read(self, offset: int, size: int) -> bytes:
        start = offset - self._start
        if start < 0 or start + size > len(self._buffer):
            self._buffer = os.pread(self.fd, max(size, self.CHUNK), offset)
            self._start, start = offset, 0
            if len(self._buffer) < size:  # end of file: the short final block
                return self._buffer
        return self._buffer[start : start + size]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
