"""The real filesystem behind the TFTP ports: `OsFileSystem` for `paths.resolve` and
`FileSource`, a `BlockSource` reading an open file descriptor with pread(2).  Every
transfer opens its own descriptor and reads at explicit offsets, so concurrent transfers
of one file share no file position (the engine asks for chunks of about 64 KiB: a file is
never loaded whole into memory).  Used only by server.py; tests of the pure modules may use
them on temporary directories.
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
    """`engine.BlockSource` over a file descriptor this object owns (one per transfer)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

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
        """`size` bytes at `offset`, fewer only at the end of the file."""
        data = os.pread(self.fd, size, offset)
        while len(data) < size:  # a short read is the end only if the next one is empty
            more = os.pread(self.fd, size - len(data), offset + len(data))
            if not more:
                break
            data += more
        return data

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
