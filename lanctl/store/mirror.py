"""dnsmasq's lease file as a mirror of the store: import at first start, atomic rewrites.

On first start with an existing `--dhcp-leasefile` and an empty store, `import_leasefile`
loads it (bad lines become warnings, RELIABILITY P5).  While running, `LeaseFileMirror`
rewrites the file after changes, coalesced to at most once per `min_interval` seconds and
at shutdown, so tools that read dnsmasq's lease file keep working.  A rewrite is atomic
(temp file, fsync, `os.replace`, fsync of the directory; RELIABILITY §3d), never dnsmasq's
truncate-in-place.  With `--leasefile-ro` the adapter simply creates no mirror.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from lanctl.errors import FileSystemError
from lanctl.store import leasefile
from lanctl.store.backend import LeaseBackend
from lanctl.store.leasefile import LeaseFile, LineWarning


def snapshot(backend: LeaseBackend) -> LeaseFile:
    """Everything the backend holds, as a lease file (v4 then v6, in address order)."""
    return LeaseFile(tuple(backend.all4()), backend.get_server_duid(), tuple(backend.all6()))


def import_leasefile(backend: LeaseBackend, path: str | os.PathLike[str]) -> list[LineWarning]:
    """Load dnsmasq's lease file into an empty store in one transaction; the bad lines.

    A store that already holds leases, or a missing file, is left alone (returns []).
    The file's server DUID is kept unless the store has one already.
    """
    if backend.all4() or backend.all6():
        return []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FileSystemError(f"cannot read lease file {os.fspath(path)}: {exc.strerror}") from exc
    parsed, warnings = leasefile.parse(text)
    backend.commit([*parsed.v4, *parsed.v6])
    if parsed.server_duid is not None and backend.get_server_duid() is None:
        backend.set_server_duid(parsed.server_duid)
    return warnings


def write_atomic(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """Replace `path` with `text` so that readers see the old file or the new, never half."""
    target = Path(path)
    fd, tmp = -1, ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            fd = -1  # the file object owns it now
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        tmp = ""
        dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise FileSystemError(f"cannot write lease file {target}: {exc.strerror}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class LeaseFileMirror:
    """Keeps one lease file current; the caller passes monotonic `now` values in seconds."""

    def __init__(self, path: str | os.PathLike[str], min_interval: float = 1.0) -> None:
        self.path = os.fspath(path)
        self.min_interval = min_interval
        self._dirty = False
        self._last_write: float | None = None

    def mark_changed(self) -> None:
        """Leases changed: the file is due at the next `write_if_due` the interval allows."""
        self._dirty = True

    def next_due(self) -> float | None:
        """When a pending rewrite may run (None: nothing pending)."""
        if not self._dirty:
            return None
        return 0.0 if self._last_write is None else self._last_write + self.min_interval

    def write_if_due(self, backend: LeaseBackend, now: float) -> bool:
        """Rewrite the file if something changed and the interval has passed; whether it did."""
        due = self.next_due()
        if due is None or now < due:
            return False
        self.flush(backend, now)
        return True

    def flush(self, backend: LeaseBackend, now: float) -> None:
        """Rewrite the file now (shutdown, SIGTERM), whatever the interval."""
        write_atomic(self.path, leasefile.render(snapshot(backend)))
        self._dirty = False
        self._last_write = now
