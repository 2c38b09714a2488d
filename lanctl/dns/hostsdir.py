"""--hostsdir: every file of the directories read as a hosts file, and watched for changes.

dnsmasq 2.90 watches these directories with inotify: new or changed files are read, and the
records of deleted files are removed, without re-reading any other hosts file.  lanctl polls
instead: once a second (`POLL`) the server's watcher task lists the directories and compares
each regular file's (mtime in ns, size, inode) with what it read; only files whose stamp
changed are read again.  The names live in an overlay next to the packed name table (which
is built once per load): forward names give all their addresses, and an address's PTR goes
to the first file (alphabetical order, directories in command-line order) that names it
first on a line; --expand-hosts applies as to other hosts files.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from lanctl.config.model import DnsCfg
from lanctl.dns.rules import expand_domain
from lanctl.store.hostsfile import parse_hosts

if TYPE_CHECKING:
    from lanctl.dns.engine import DnsEngine

POLL: Final = 1.0  # seconds between two looks at the directories
log = logging.getLogger("lanctl.dns")

Stamp = tuple[int, int, int]  # mtime_ns, size, inode
Entry = tuple[bytes, bytes, bool]  # dotted name, packed address, owns the PTR


class HostsDirs:
    """The hosts files of the --hostsdir directories, re-read file by file by `scan`."""

    def __init__(self, dirs: Sequence[str], cfg: DnsCfg) -> None:
        self.dirs = tuple(dirs)
        self.domains: tuple[object, ...] = cfg.domain if cfg.expand_hosts else ()
        self.ttl = cfg.local_ttl
        self.files: dict[str, tuple[Stamp, list[Entry]]] = {}
        self.order: list[str] = []
        self.scans = 0
        self.forward: dict[bytes, list[tuple[bytes, str]]] = {}
        self.reverse: dict[bytes, tuple[bytes, str]] = {}
        self.messages: list[str] = []  # log lines since the last take_messages()

    def _listing(self) -> dict[str, Stamp]:
        seen: dict[str, Stamp] = {}
        for directory in self.dirs:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                continue
            for name in names:
                path = os.path.join(directory, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    seen.setdefault(path, (st.st_mtime_ns, st.st_size, st.st_ino))
        return seen

    def _read(self, path: str) -> list[Entry] | None:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            self.messages.append(f"failed to load names from {path}: {exc.strerror}")
            return None
        hf = parse_hosts(text, path)
        self.messages.extend(hf.warnings)
        entries: list[Entry] = []
        for name, packed, first in zip(hf.names, hf.addrs, hf.first, strict=True):
            domain = (
                expand_domain(packed, self.domains) if self.domains and "." not in name else None
            )
            if domain is None:
                entries.append((name.encode(), packed, bool(first)))
            else:  # as build_local: the expanded name owns the PTR
                entries.append((name.encode(), packed, False))
                entries.append((f"{name}.{domain}".encode(), packed, bool(first)))
        self.messages.append(f"read {path} - {len(entries)} names")
        return entries

    def scan(self) -> bool:
        """Look at the directories; read new and changed files, forget deleted ones.
        True when the names changed (pre-rendered answers must then be dropped)."""
        seen = self._listing()
        changed = False
        for path in [p for p in self.files if p not in seen]:
            self.messages.append(f"hostsdir: {path} removed")
            self._flush(path)
            changed = True
        for path, stamp in seen.items():
            old = self.files.get(path)
            if old is not None and old[0] == stamp:
                continue
            if self.scans:  # after the first scan, as dnsmasq's inotify
                self.messages.append(f"hostsdir: {path} new or modified")
            if old is not None:
                self._flush(path)
            entries = self._read(path)
            if entries is None:
                changed = changed or old is not None
                continue
            self.files[path] = (stamp, entries)
            changed = True
        if changed or list(seen) != self.order:
            self.order = [p for p in seen if p in self.files]
            self._index()
        self.scans += 1
        return changed

    def _flush(self, path: str) -> None:
        _, entries = self.files.pop(path)
        self.messages.append(f"hostsdir: flushed {len(entries)} names read from {path}")

    def _index(self) -> None:
        forward: dict[bytes, list[tuple[bytes, str]]] = {}
        reverse: dict[bytes, tuple[bytes, str]] = {}
        for path in self.order:
            for name, packed, ptr in self.files[path][1]:
                addrs = forward.setdefault(name, [])
                if all(a != packed for a, _ in addrs):
                    addrs.append((packed, path))
                if ptr:
                    reverse.setdefault(packed, (name, path))
        self.forward, self.reverse = forward, reverse

    def take_messages(self) -> list[str]:
        out, self.messages = self.messages, []
        return out

    def __len__(self) -> int:
        return len(self.forward)


def load_dirs(cfg: DnsCfg) -> HostsDirs | None:
    """The --hostsdir overlay, read once (None without --hostsdir)."""
    if not cfg.hostsdir:
        return None
    dirs = HostsDirs(cfg.hostsdir, cfg)
    dirs.scan()
    return dirs


async def watch_hostsdirs(engine: DnsEngine) -> None:
    """Poll the --hostsdir directories of the current local data every POLL seconds."""
    import trio

    while True:
        await trio.sleep(POLL)
        local = engine.local
        if local.dirs is None:
            continue
        changed = local.refresh_dirs()
        for line in local.dirs.take_messages():
            log.info("%s", line)
        if changed:
            engine.local_changed()
