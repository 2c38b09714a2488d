"""The dnsmasq lease file beside the store: LeaseFileWriter, and opening both (open_store).

--dhcp-leasefile is rewritten from the engine's table, atomically and at most once per
interval, in a worker thread; after the drop to nobody it is rewritten in place through
the descriptor opened as root; a failed write is retried after LEASE_RETRY (dnsmasq's
minute) and never stops the server.  --leasefile-ro keeps leases in memory only (filled
by `<script> init` with --dhcp-script); --lease-fsync picks SQLite's synchronous mode.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Final

from lanctl.config.model import Config
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.scripting import init_leases
from lanctl.errors import FileSystemError
from lanctl.store.backend import LeaseBackend, MemoryBackend
from lanctl.store.lease import Lease4
from lanctl.store.leasefile import LeaseFile, render, render_lease4
from lanctl.store.mirror import import_leasefile, write_atomic_fd
from lanctl.store.records import store_paths

log = logging.getLogger("lanctl.dhcp4")

LEASE_RETRY: Final = 60.0  # dnsmasq: a failed lease-file write is retried after a minute


class LeaseFileWriter:
    """dnsmasq's lease file, rewritten atomically at most once per `interval` seconds.

    The v4 rows come from the engine's table (the store holds the same leases, committed
    before each reply); rendering and writing run in a worker thread so a large file never
    stalls the receive loop (a synchronous writer cost drops under load).

    After the supervisor drops root, the lease file's directory is often not writable
    (/var/lib/misc), so the atomic temp-file-and-rename fails.  Like dnsmasq, the file is
    opened before the drop and then rewritten in place through that descriptor.  A write
    that still fails is logged and retried after LEASE_RETRY: it never stops the server
    (the leases themselves are safe in the store).
    """

    def __init__(self, path: str, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.dirty = True
        self.last = -interval
        self._rendered: dict[int, tuple[Lease4, str]] = {}  # id(lease) -> it, its line
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise FileSystemError(
                f"cannot open or create lease file {path}: {exc.strerror}"
            ) from exc

    def due(self, now: float) -> bool:
        if not self.dirty or now < self.last + self.interval:
            return False
        self.dirty, self.last = False, now
        return True

    def snapshot(self, engine: Dhcp4Engine, backend: LeaseBackend) -> LeaseFile:
        v4 = tuple(engine.leases.values())
        return LeaseFile(v4, backend.get_server_duid(), tuple(backend.all6()))

    def write(self, leases: LeaseFile) -> None:
        v4 = sorted(leases.v4, key=lambda x: int(x.address))
        text = "".join(self._lines(v4)) + render(LeaseFile((), leases.server_duid, leases.v6))
        try:
            self._write(text)
        except OSError as exc:
            log.error(
                "failed to write %s: %s (retry in %ds)",
                self.path,
                exc.strerror or exc,
                int(LEASE_RETRY),
            )
            self.dirty = True
            self.last += LEASE_RETRY - self.interval

    def _lines(self, v4: list[Lease4]) -> list[str]:
        """The v4 lines; a lease unchanged since the last write reuses its line.

        Rendering 50k leases costs ~170 ms of GIL a second, taken from the receive loop.
        """
        old = self._rendered
        new: dict[int, tuple[Lease4, str]] = {}
        lines: list[str] = []
        for lease in v4:
            hit = old.get(id(lease))  # the entry holds the lease, so its id stays its own
            line = hit[1] if hit is not None and hit[0] is lease else render_lease4(lease) + "\n"
            new[id(lease)] = (lease, line)
            lines.append(line)
        self._rendered = new
        return lines

    def _write(self, text: str) -> None:
        try:
            fd = write_atomic_fd(self.path, text)
        except FileSystemError as exc:
            cause = exc.__cause__
            if not isinstance(cause, PermissionError) or self.fd is None:
                raise cause if isinstance(cause, OSError) else OSError(str(exc)) from exc
            data = text.encode("utf-8")  # in place, through the descriptor opened as root
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, data, 0)
            os.fsync(self.fd)
            return
        # The rename made a new file: follow it, so a later in-place write lands there.  The
        # descriptor is the new file's own (not opened by name): opening by name could fail
        # when the privilege drop has just happened, and the writes would then go on into
        # the replaced, unlinked file while the lease file stayed as it was.
        if self.fd is not None:
            os.close(self.fd)
        self.fd = fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def open_store(cfg: Config) -> tuple[LeaseBackend, LeaseFileWriter | None]:
    """The lease store and the dnsmasq lease-file mirror (none with --leasefile-ro)."""
    d = cfg.dhcp4
    if d.leasefile_ro:
        memory = MemoryBackend()
        if d.dhcp_script is not None:
            memory.commit(init_leases(d, int(time.time())))
        return memory, None
    store, lease_file = store_paths(d.lease_store, d.dhcp_leasefile)
    if store is None:
        return MemoryBackend(), None
    from lanctl.store.sqlite import SqliteBackend

    backend = SqliteBackend(store, fsync="full" if d.lease_fsync == "full" else "normal")
    if lease_file is not None:
        for warning in import_leasefile(backend, lease_file):
            log.warning("%s: %s", lease_file, warning)
    return backend, (LeaseFileWriter(lease_file) if lease_file is not None else None)


__all__ = ["LEASE_RETRY", "LeaseFileWriter", "open_store"]
