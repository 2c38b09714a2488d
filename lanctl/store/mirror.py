"""dnsmasq's lease file as a mirror of the store: import at first start, atomic rewrites.

On first start with an existing `--dhcp-leasefile` and an empty store, `import_leasefile`
loads it (bad lines become warnings, RELIABILITY P5; a name stays with its last lease only,
`unique_names`).  `write_atomic` is the rewrite (temp file, fsync, `os.replace`, fsync of
the directory; RELIABILITY §3d); the DHCP server's LeaseFileWriter (lanctl/dhcp4/server.py)
decides when to call it, coalesced to at most once a second, and falls back to dnsmasq's
in-place rewrite only when the rename is refused after the privilege drop.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lanctl.errors import FileSystemError
from lanctl.store import leasefile
from lanctl.store.backend import LeaseBackend
from lanctl.store.lease import Lease4
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
    backend.commit([*unique_names(parsed.v4), *parsed.v6])
    if parsed.server_duid is not None and backend.get_server_duid() is None:
        backend.set_server_duid(parsed.server_duid)
    return warnings


def unique_names(leases: Sequence[Lease4]) -> list[Lease4]:
    """One lease per name (any case), as dnsmasq 2.90 loads its lease file: a later line
    takes the name from an earlier one, which is left without (lanctl/dhcp4/leasenames.py)."""
    last = {lease.hostname.lower(): i for i, lease in enumerate(leases) if lease.hostname}
    return [
        lease if not lease.hostname or last[lease.hostname.lower()] == i
        else replace(lease, hostname=None)
        for i, lease in enumerate(leases)
    ]  # fmt: skip


def write_atomic(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """Replace `path` with `text` so that readers see the old file or the new, never half."""
    fd = write_atomic_fd(path, text, mode)
    os.close(fd)


def write_atomic_fd(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> int:
    """`write_atomic`, returning a read-write descriptor of the new file (the caller closes
    it).  The descriptor comes from the temporary file itself, never from opening `path`
    again: a writer that may lose the right to open the file (a privilege drop running
    meanwhile in another thread) still holds the file that is now at `path`."""
    target = Path(path)
    fd, tmp, kept = -1, "", -1
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.fchmod(fd, mode)
        kept = os.dup(fd)
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
        done, kept = kept, -1
        return done
    except OSError as exc:
        raise FileSystemError(f"cannot write lease file {target}: {exc.strerror}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
        if kept >= 0:
            os.close(kept)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
