"""The dnsmasq lease file beside the store: LeaseFileWriter, and opening both (open_store).

--dhcp-leasefile is rewritten from the engine's table, atomically and at most once per
interval (longer after a costly write: WRITE_REST), in a worker thread; after the drop to
nobody it is rewritten in place through the descriptor opened as root; a failed write is
retried after LEASE_RETRY (dnsmasq's minute) and never stops the server.  --leasefile-ro
keeps leases in memory only (filled by `<script> init` with --dhcp-script); --lease-fsync
picks SQLite's synchronous mode.
"""

from __future__ import annotations

import logging
import os
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import compress, repeat
from operator import rshift
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
# After a write that cost T seconds of CPU, the next waits at least WRITE_REST * T: the
# writer holds the GIL, and under a boot storm with 100k leases a write costs ~65 ms; once
# a second, that stalled a receive loop running near capacity into drops.  Small files
# (a write of under 33 ms) keep the one-second interval.
WRITE_REST: Final = 30


def _keys(leases: Iterable[Lease4]) -> Iterator[int]:
    """The leases' identities while they live: id() shifted right by 4.  Two live objects
    are at least 16 bytes apart, so the keys differ as the ids do; the 4 low bits of an id
    are always 0 (16-byte alignment), and a set of raw ids collided: twice as slow."""
    return map(rshift, map(id, leases), repeat(4))


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
        self.gap = interval  # the wait before the next write (WRITE_REST)
        self.dirty = True
        self.last = -interval
        self._held: tuple[Lease4, ...] = ()  # as last written (held: their ids stay theirs)
        self._ids: set[int] = set()  # their _keys
        self._addr: dict[int, int] = {}  # key -> the lease's address
        self._lines = _SortedLines()
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise FileSystemError(
                f"cannot open or create lease file {path}: {exc.strerror}"
            ) from exc

    def due(self, now: float) -> bool:
        if not self.dirty or now < self.last + self.gap:
            return False
        self.dirty, self.last = False, now
        return True

    def snapshot(self, engine: Dhcp4Engine, backend: LeaseBackend) -> LeaseFile:
        v4 = tuple(engine.leases.values())
        return LeaseFile(v4, backend.get_server_duid(), tuple(backend.all6()))

    def write(self, leases: LeaseFile) -> None:
        start = time.thread_time()
        written = False
        try:
            written = self._write_file(leases)
        finally:
            self.gap = max(self.interval, WRITE_REST * (time.thread_time() - start))
        if not written:  # retried a minute after this try
            self.dirty = True
            self.last += LEASE_RETRY - self.gap

    def _write_file(self, leases: LeaseFile) -> bool:
        """Render and write; False (logged) when the file cannot be written."""
        tail = render(LeaseFile((), leases.server_duid, leases.v6))
        try:
            text = self._v4_text(leases.v4, tail)
        except BaseException:
            self._reset()  # whatever was half done: the next write renders every line
            raise
        try:
            self._write(text)
        except OSError as exc:
            log.error(
                "failed to write %s: %s (retry in %ds)",
                self.path,
                exc.strerror or exc,
                int(LEASE_RETRY),
            )
            return False
        return True

    def _v4_text(self, v4: tuple[Lease4, ...], tail: str) -> str:
        """The v4 lines in address order, then `tail`; only the leases new since the last
        write are rendered.

        The writer runs in a worker thread but holds the GIL, so its time is taken from the
        receive loop.  Under load (thousands of new leases a second, 100k leases) the work
        per write is a few passes over the leases in C (map, set, join), none making a
        container per lease (each costs cyclic-GC time too), and Python code per changed
        lease only.  The engine makes a new Lease4 for every change, so a lease is known by
        its identity: the writer holds the leases it last wrote (`_held`), so that no other
        object can have the id of one of them.
        """
        ids = set(_keys(v4))
        if len(ids) != len(v4):  # one lease object twice: not the engine's table
            return self._render_all(v4, tail)
        removed, added = self._ids - ids, ids - self._ids
        n = len(added)
        new_leases = v4[len(v4) - n :] if n else ()  # the engine stores a lease at its end
        if not added.issuperset(_keys(new_leases)):
            new_leases = tuple(compress(v4, map(added.__contains__, _keys(v4))))
        addr = self._addr
        gone = list(map(addr.pop, removed))
        new_addrs = [int(x.address) for x in new_leases]
        new = dict(zip(new_addrs, [f"{render_lease4(x)}\n" for x in new_leases], strict=True))
        if len(new) != n or not self._lines.update(gone, new):  # an address twice
            return self._render_all(v4, tail)
        addr.update(zip(_keys(new_leases), new_addrs, strict=True))
        self._held, self._ids = v4, ids
        return self._lines.text(tail)

    def _render_all(self, v4: tuple[Lease4, ...], tail: str) -> str:
        """Every line, in address order (stable for a repeated address): leases that are
        not one table keyed by address, which the server never writes."""
        self._reset()
        v4 = tuple(sorted(v4, key=lambda x: int(x.address)))
        return "".join([*(f"{render_lease4(x)}\n" for x in v4), tail])

    def _reset(self) -> None:
        self._held, self._ids, self._addr, self._lines = (), set(), {}, _SortedLines()

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


class _SortedLines:
    """Lines by address, kept in order in blocks (a sorted list of sorted arrays): a change
    costs two bisections and a short insertion, and the text of a block where nothing
    changed is reused, so a write costs about its changes, plus one copy of the text."""

    BLOCK: Final = 128  # a block is split in two when it reaches twice as many lines

    def __init__(self) -> None:
        self.firsts: list[int] = []  # where each block starts: <= its first address
        self.addrs: list[array[int]] = []  # each block's addresses, ascending
        self.lines: list[list[str]] = []  # their lines
        self.texts: list[str] = []  # a block's lines joined ("": changed since)

    def update(self, gone: list[int], new: dict[int, str]) -> bool:
        """Remove the addresses `gone`, then add `new` (address -> line, emptied); False
        when an address to remove is missing or one to add is present (the lines are then
        left half updated: the caller starts again from nothing)."""
        firsts, addrs, lines, texts = self.firsts, self.addrs, self.lines, self.texts
        if not firsts:
            if gone:
                return False
            order = sorted(new)
            step = self.BLOCK
            for i in range(0, len(order), step):
                part = order[i : i + step]
                firsts.append(part[0])
                addrs.append(array("L", part))
                lines.append(list(map(new.__getitem__, part)))
                texts.append("")
            return True
        block_of, index = bisect_right, bisect_left
        pop = new.pop
        for a in gone:
            line = pop(a, None)
            b = block_of(firsts, a) - 1
            if b < 0:
                return False
            block = addrs[b]
            i = index(block, a)
            if i == len(block) or block[i] != a:
                return False
            texts[b] = ""
            if line is not None:
                lines[b][i] = line  # the same address: in place
            else:
                del block[i], lines[b][i]
                if not block:
                    del firsts[b], addrs[b], lines[b], texts[b]
        if new and not firsts:
            firsts.append(min(new))
            addrs.append(array("L"))
            lines.append([])
            texts.append("")
        twice = 2 * self.BLOCK
        for a, line in new.items():
            b = block_of(firsts, a) - 1
            if b < 0:
                b = 0
                firsts[0] = a
            block = addrs[b]
            i = index(block, a)
            if i < len(block) and block[i] == a:
                return False
            block.insert(i, a)
            lines[b].insert(i, line)
            texts[b] = ""
            if len(block) == twice:
                half = self.BLOCK
                firsts.insert(b + 1, block[half])
                addrs.insert(b + 1, block[half:])
                lines.insert(b + 1, lines[b][half:])
                texts.insert(b + 1, "")
                del block[half:], lines[b][half:]
        return True

    def text(self, tail: str) -> str:
        """All the lines, then `tail`."""
        texts = self.texts
        for b, text in enumerate(texts):
            if not text:
                texts[b] = "".join(self.lines[b])
        return "".join([*texts, tail])


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
