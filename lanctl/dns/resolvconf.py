"""resolv.conf reading for the default upstream servers (--resolv-file, --no-poll).

resolv.conf(5): "nameserver ADDR" lines, IPv4 or IPv6 (an IPv6 %scope is kept); comments
start with "#" or ";"; other keywords are ignored, as dnsmasq does.  Several --resolv-file
options: every file is read, servers in file order.  dnsmasq polls the files' modification
times (unless --no-poll) and re-reads them when one changes; `ResolvWatch` does that with
explicit `stat` results so the decision logic is testable without waiting on a clock.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from lanctl.dns.upstreams import Upstream

DEFAULT_RESOLV: Final = "/etc/resolv.conf"
POLL_INTERVAL: Final = 1.0  # seconds between mtime checks (dnsmasq checks about once a second)


def parse_resolv(text: str) -> list[Upstream]:
    """The nameservers of a resolv.conf, in order, duplicates dropped; bad lines ignored."""
    out: list[Upstream] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(words) < 2 or words[0] != "nameserver":
            continue
        raw = words[1]
        base = raw.partition("%")[0]
        try:
            addr = ipaddress.ip_address(base)
        except ValueError:
            continue
        up = Upstream(str(addr) if addr.version == 4 or base == raw else raw)
        if up not in out:
            out.append(up)
    return out


@dataclass(frozen=True, slots=True)
class FileState:
    """What `stat` said about one file: (mtime_ns, size), or None when it is missing."""

    path: str
    stamp: tuple[int, int] | None


def stat_files(paths: Sequence[str]) -> tuple[FileState, ...]:
    """Stat every file; a missing or unreadable one has stamp None."""
    out: list[FileState] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(FileState(path, None))
        else:
            out.append(FileState(path, (st.st_mtime_ns, st.st_size)))
    return tuple(out)


def read_servers(paths: Sequence[str], read: Callable[[str], str] | None = None) -> list[Upstream]:
    """Servers from every file in order; unreadable files contribute nothing."""
    reader = read if read is not None else _read_text
    out: list[Upstream] = []
    for path in paths:
        try:
            text = reader(path)
        except OSError:
            continue
        for up in parse_resolv(text):
            if up not in out:
                out.append(up)
    return out


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


class ResolvWatch:
    """Remembers the files' stamps; `changed(states)` says whether to re-read them."""

    def __init__(self, paths: Sequence[str], states: tuple[FileState, ...]) -> None:
        self.paths = tuple(paths)
        self._states = states

    def changed(self, states: tuple[FileState, ...]) -> bool:
        """True when a file appeared, disappeared or changed since the last call."""
        if states == self._states:
            return False
        self._states = states
        return True
