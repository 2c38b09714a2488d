"""The pid file (`-x/--pid-file`, default /run/lanctl.pid; `--pid-file=` empty disables it).

Written atomically (temporary file in the same directory, fsync, rename) so that a reader
never sees a half-written pid, chowned to the run-as user as dnsmasq does, and removed at
exit only if it still holds our pid (a newer instance may have replaced it).  A pid file
that cannot be written is dnsmasq's exit 3: "failed to open pidfile PATH: reason".
"""

from __future__ import annotations

import logging
import os
import tempfile

from lanctl.errors import FileSystemError

log = logging.getLogger("lanctl.pidfile")


def write_pid_file(path: str, pid: int | None = None, owner: tuple[int, int] | None = None) -> None:
    """Atomically write `pid` (default: ours) and a newline to `path`, mode 0644."""
    pid = os.getpid() if pid is None else pid
    directory = os.path.dirname(os.path.abspath(path))
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(f"{pid}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if owner is not None:
            os.chown(tmp, owner[0], owner[1])
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise FileSystemError(f"failed to open pidfile {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def read_pid_file(path: str) -> int | None:
    """The pid recorded in `path`, or None if it is missing or not a pid."""
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            text = fh.read(64).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def remove_pid_file(path: str, pid: int | None = None) -> bool:
    """Remove `path` if it still names `pid` (default: ours); True if it was removed.

    Never raises: at exit, after the privilege drop, the directory may not be writable
    any more (dnsmasq also just tries).
    """
    pid = os.getpid() if pid is None else pid
    if read_pid_file(path) != pid:
        return False
    try:
        os.unlink(path)
    except OSError as exc:
        log.debug("cannot remove pid file %s: %s", path, exc)
        return False
    return True
