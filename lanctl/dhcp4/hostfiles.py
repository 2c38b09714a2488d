"""--dhcp-hostsfile and --dhcp-optsfile: dhcp-host / dhcp-option lines kept in files.

Both are read at start and re-read on SIGHUP.  Each non-blank line that does not start
with '#' has the syntax of the text after "dhcp-host=" / "dhcp-option=" (dnsmasq man page);
a directory contributes its files in alphabetical order.  Bad lines are reported with file
and line and skipped, as dnsmasq does, never fatal: the server keeps running with the lines
that parsed.  `parse_hostsfile`/`parse_optsfile` are pure; `load`/`load_opts` read files.
`DirWatch` is --dhcp-hostsdir/--dhcp-optsdir: new or changed files are read when seen
(the server polls mtimes once a second); what they held stays until SIGHUP (man page).
`load_ethers` is --read-ethers: /etc/ethers lines (`MAC name-or-IPv4`) merged into the
dhcp-host lines as dnsmasq does (`merge_ethers`), or added as hosts of their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from ipaddress import IPv4Address
from typing import Generic, TypeVar

from lanctl.config.grammar.dhcp_host import DhcpHost, dhcp_host
from lanctl.config.grammar.dhcp_option import DhcpOption, dhcp_option
from lanctl.config.grammar.hwaddr import MacPattern
from lanctl.errors import ConfigError, Where
from lanctl.store.hostsfile import EthersEntry, parse_ethers

__all__ = [
    "ETHERS",
    "DirWatch",
    "EthersMerge",
    "ethers_hosts",
    "load",
    "load_ethers",
    "load_opts",
    "merge_ethers",
    "parse_hostsfile",
    "parse_optsfile",
]

ETHERS = "/etc/ethers"

T = TypeVar("T")


def _parse(
    text: str, path: str, option: str, parse: Callable[[str, Where], T]
) -> tuple[list[T], list[str]]:
    found, errors = _numbered(text, path, option, parse)
    return [item for _number, item in found], errors


def _numbered(
    text: str, path: str, option: str, parse: Callable[[str, Where], T]
) -> tuple[list[tuple[int, T]], list[str]]:
    found: list[tuple[int, T]] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            found.append((number, parse(stripped, Where(path, number, option))))
        except ConfigError as exc:
            errors.append(str(exc))
    return found, errors


def parse_hostsfile(text: str, path: str) -> tuple[list[DhcpHost], list[str]]:
    """The host lines of one file, and a message per line that did not parse."""
    return _parse(text, path, "dhcp-hostsfile", dhcp_host)


def parse_optsfile(text: str, path: str) -> tuple[list[DhcpOption], list[str]]:
    """The DHCPv4 option lines of one file (v6 lines are skipped), and the bad lines."""
    found, errors = _parse(text, path, "dhcp-optsfile", dhcp_option)
    return [o for o in found if o.family == 4], errors


def _files(paths: Iterable[str]) -> list[str]:
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(os.listdir(path))
            out.extend(p for n in names if os.path.isfile(p := os.path.join(path, n)))
        else:
            out.append(path)
    return out


def load(
    paths: Iterable[str], taken: Iterable[IPv4Address] = ()
) -> tuple[list[DhcpHost], list[str]]:
    """Every host line of the files (in order) and the log lines dnsmasq would write.

    dnsmasq 2.90 (tests/dhcp4/test_hosts_order_compat.py): a line whose address an earlier
    host already has -- one in `taken` (the dhcp-host lines and /etc/ethers hosts, read
    before the files) or an earlier file line -- is dropped with a warning.
    """
    hosts: list[DhcpHost] = []
    messages: list[str] = []
    seen = set(taken)
    for path, text in _read(paths, messages):
        found, errors = _numbered(text, path, "dhcp-hostsfile", dhcp_host)
        messages.extend(errors)
        for number, host in found:
            if host.ipv4 is not None and host.ipv4 in seen:
                messages.append(
                    f"duplicate dhcp-host IP address {host.ipv4} at line {number} of {path}"
                )
                continue
            if host.ipv4 is not None:
                seen.add(host.ipv4)
            hosts.append(host)
        messages.append(f"read {path}")  # dnsmasq 2.90 gives no count for a hosts file
    return hosts, messages


def _read(paths: Iterable[str], messages: list[str]) -> Iterator[tuple[str, str]]:
    """(path, text) per readable file, lazily, so messages stay in file order."""
    for path in _files(paths):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            messages.append(f"cannot read {path}: {exc.strerror}")
            continue
        yield path, text


def load_opts(paths: Iterable[str]) -> tuple[list[DhcpOption], list[str]]:
    """Every DHCPv4 option line of the files (in order) and the log lines."""
    options: list[DhcpOption] = []
    messages: list[str] = []
    for path, text in _read(paths, messages):
        found, errors = parse_optsfile(text, path)
        options.extend(found)
        messages.extend(errors)
        messages.append(f"read {path}")
    return options, messages


class DirWatch(Generic[T]):
    """Files of some directories, read again when their (mtime, size) changes.

    Entries are only ever added: a changed file's new lines join the old ones, a deleted
    file's entries stay (dnsmasq --dhcp-hostsdir); `reset` (SIGHUP) forgets everything.
    """

    def __init__(
        self,
        dirs: Iterable[str],
        parse: Callable[[str, str], tuple[list[T], list[str]]],
        count: bool = False,  # log "read PATH - N addresses" as `load` does for hosts
    ) -> None:
        self.dirs = tuple(dirs)
        self.parse = parse
        self.count = count
        self.seen: dict[str, tuple[int, int]] = {}
        self.entries: list[T] = []

    def reset(self) -> None:
        self.seen.clear()
        self.entries = []

    def poll(self) -> tuple[bool, list[str]]:
        """Read new or changed files; (whether entries were added, log lines)."""
        messages: list[str] = []
        added = False
        for path in _files(d for d in self.dirs if os.path.isdir(d)):
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamp = (st.st_mtime_ns, st.st_size)
            if self.seen.get(path) == stamp:
                continue
            self.seen[path] = stamp
            for _path, text in _read([path], messages):
                found, errors = self.parse(text, path)
                messages.extend(errors)
                new = [x for x in found if x not in self.entries]
                self.entries.extend(new)
                added = added or bool(new)
                tail = f" - {len(found)} addresses" if self.count else ""
                messages.append(f"read {path}{tail}")
        return added, messages


@dataclass(frozen=True, slots=True)
class EthersMerge:
    """/etc/ethers merged as dnsmasq does: the configuration's dhcp-host lines (some now
    with an ethers MAC, address or name), the hosts ethers adds, and the log lines."""

    config: tuple[DhcpHost, ...]
    added: tuple[DhcpHost, ...]
    messages: tuple[str, ...]


def merge_ethers(text: str, path: str, config: Sequence[DhcpHost] = ()) -> EthersMerge:
    """dnsmasq 2.90 dhcp_read_ethers, verified on the wire (tests/dhcp4/test_ethers_compat.py).

    Per line, the dhcp-host with the line's address (`MAC a.b.c.d`) or name (`MAC name`)
    takes the line's MAC as its only MAC; failing that, a dhcp-host for exactly that one MAC
    takes the line's address or name (the ethers value wins); failing that, the line is a
    host of its own.  A line whose address or name an earlier ethers host already has is
    ignored ("ignoring ... duplicate name or IP address").
    """
    parsed = parse_ethers(text, path)
    hosts: list[DhcpHost] = list(config)
    mine: list[bool] = [False] * len(hosts)  # True: created from an ethers line
    messages = list(parsed.warnings)
    count = 0
    for entry in parsed.values:
        mac = MacPattern(None, entry.hwaddr, bytes(len(entry.hwaddr)))
        at = _find(hosts, entry)
        if at is not None and mine[at]:
            messages.append(f"ignoring {path} line {entry.line}, duplicate name or IP address")
            continue
        if at is None:
            at = next((i for i, h in enumerate(hosts) if _only_mac(h, entry.hwaddr)), None)
            if at is None:
                hosts.append(DhcpHost())
                mine.append(True)
                at = len(hosts) - 1
            if entry.address is not None:
                hosts[at] = replace(hosts[at], ipv4=entry.address)
            else:
                hosts[at] = replace(hosts[at], hostname=entry.hostname)
        hosts[at] = replace(hosts[at], macs=(mac,), client_id=None, client_id_any=False)
        count += 1
    messages.append(f"read {path} - {count} addresses")
    n = len(config)
    return EthersMerge(tuple(hosts[:n]), tuple(hosts[n:]), tuple(messages))


def _find(hosts: Sequence[DhcpHost], entry: EthersEntry) -> int | None:
    """The first host with the entry's address, or (a name line) its name, any case."""
    for i, host in enumerate(hosts):
        if entry.address is not None:
            if host.ipv4 == entry.address:
                return i
        elif host.hostname and entry.hostname and host.hostname.lower() == entry.hostname.lower():
            return i
    return None


def _only_mac(host: DhcpHost, hwaddr: bytes) -> bool:
    """dnsmasq's test: exactly one MAC, no wildcard, Ethernet (or any) type, equal bytes."""
    if len(host.macs) != 1:
        return False
    mac = host.macs[0]
    return not any(mac.wildcard_mask) and mac.hwtype in (None, 1) and bytes(mac.octets) == hwaddr


def ethers_hosts(text: str, path: str) -> tuple[list[DhcpHost], list[str]]:
    """/etc/ethers lines as dhcp-host lines (no configuration to merge into), the warnings."""
    merged = merge_ethers(text, path)
    return list(merged.added), list(merged.messages[:-1])


def load_ethers(path: str = ETHERS, config: Sequence[DhcpHost] = ()) -> EthersMerge:
    """--read-ethers: /etc/ethers merged into `config` (the dhcp-host lines) and the log lines."""
    messages: list[str] = []
    for name, text in _read([path], messages):
        return merge_ethers(text, name, config)
    return EthersMerge(tuple(config), (), tuple(messages))
