"""Pure parsers for dnsmasq's hosts-type files: bad lines give warnings, never exceptions.

- /etc/hosts format (/etc/hosts, --addn-hosts, --hostsdir files; hosts(5)): `address name
  [aliases...]`, `#` starts a comment.  As dnsmasq: an address inet_pton rejects gives "bad
  address at FILE line N", a bad name "bad name at FILE line N"; names are lowercased and a
  trailing dot dropped.  Parsed into columns (one row per name) so that a million-line file
  costs no object per line once the name table is built; plain two-field lines take a
  bulk path that runs in C.
- --dhcp-hostsfile / --dhcp-hostsdir lines: the --dhcp-host grammar; --dhcp-optsfile /
  --dhcp-optsdir lines: the --dhcp-option grammar; /etc/ethers (--read-ethers): `MAC
  hostname-or-address`, with dnsmasq's line rules and warnings.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from itertools import chain, cycle, repeat
from operator import itemgetter
from typing import Final, Generic, TypeVar

from lanctl.config.grammar.dhcp_host import DhcpHost, dhcp_host
from lanctl.config.grammar.dhcp_option import DhcpOption, dhcp_option
from lanctl.config.grammar.hwaddr import parse_mac
from lanctl.errors import ConfigError, Where

_LABEL: Final = re.compile(r"[a-z0-9_*-]{1,63}\Z")
_NAME_CHARS: Final = "abcdefghijklmnopqrstuvwxyz0123456789_*-.\n"
_DELETE_NAME_CHARS: Final = str.maketrans(dict.fromkeys(_NAME_CHARS))
_CHUNK_CHARS: Final = 1 << 18  # characters per bulk-parsed piece (whole lines)
_SEPARATORS: Final = (" ", "\n")
_FIELDS: Final = re.compile(r"(\S*)\s*(.*)", re.S)  # /etc/ethers: the MAC, then the rest
_FIRST: Final = itemgetter(0)
_SECOND: Final = itemgetter(1)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HostsFile:
    """One parsed hosts file as columns, one row per name, in file order.

    `names[i]` (lowercase, no trailing dot) has address `addrs[i]` (4 or 16 packed bytes);
    `first[i]` is 1 when the name is the first of its line (the one that gets the PTR).
    """

    source: str
    names: list[str] = field(default_factory=list)
    addrs: list[bytes] = field(default_factory=list)
    first: bytearray = field(default_factory=bytearray)
    warnings: tuple[str, ...] = ()

    @property
    def entries(self) -> list[tuple[bytes, tuple[str, ...]]]:
        """(address, names) per line, as hosts(5) writes it (for tests and tools)."""
        out: list[tuple[bytes, tuple[str, ...]]] = []
        for name, addr, first in zip(self.names, self.addrs, self.first, strict=True):
            if first or not out:
                out.append((addr, (name,)))
            else:
                out[-1] = (out[-1][0], (*out[-1][1], name))
        return out

    def __len__(self) -> int:
        return len(self.names)


def valid_name(name: str) -> bool:
    """True when `name` (lowercase, no trailing dot) is usable as a host name."""
    if not name or len(name) > 253:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def parse_address(text: str) -> bytes | None:
    """Packed address exactly as dnsmasq's inet_pton() accepts it, or None.

    inet_pton is a pure libc conversion (no I/O); it rejects "192.0.2.034" and "%scope".
    """
    try:
        if ":" in text:
            return socket.inet_pton(socket.AF_INET6, text)
        return socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError):
        return None


def parse_hosts(text: str, source: str) -> HostsFile:
    """Parse the text of one hosts file; `source` names it in warnings and log lines."""
    out = HostsFile(source)
    warnings: list[str] = []
    text = text.lower()
    if text and not text.endswith("\n"):
        text += "\n"
    pos, lineno = 0, 0
    while pos < len(text):
        end = text.find("\n", pos + _CHUNK_CHARS) + 1 or len(text)
        piece = text[pos:end]
        if not _bulk_text(piece, out):
            lines = piece.split("\n")
            if not _bulk(lines, out):
                _careful(lines, lineno, out, warnings)
        lineno += piece.count("\n")
        pos = end
    return HostsFile(source, out.names, out.addrs, out.first, tuple(warnings))


def _bulk_text(piece: str, out: HostsFile) -> bool:
    """The common layout, `IPv4 name` with one space, checked and split without an object
    per line: the tokens, re-joined with " " and "\n", must give the piece back."""
    tokens = piece.split()
    if len(tokens) != 2 * piece.count("\n"):
        return False
    if "".join(chain.from_iterable(zip(tokens, cycle(_SEPARATORS)))) != piece:
        return False
    return _add_pairs(tokens[1::2], tokens[0::2], out)


def _bulk(lines: list[str], out: HostsFile) -> bool:
    """Add a piece made only of `IPv4 name` lines (any blanks), all in C; False (and
    nothing added) when the piece needs the line-by-line parser."""
    fields = list(map(str.split, lines))
    lengths = set(map(len, fields))
    if lengths - {0, 2}:
        return False
    if 0 in lengths:
        fields = [f for f in fields if f]
    return _add_pairs(list(map(_SECOND, fields)), list(map(_FIRST, fields)), out)


def _add_pairs(names: list[str], addresses: list[str], out: HostsFile) -> bool:
    joined = "\n".join(names) + "\n"
    if (
        joined.translate(_DELETE_NAME_CHARS)
        or ".\n" in joined
        or ".." in joined
        or "\n." in joined
        or joined.startswith(".")
        or (names and max(map(len, names)) > 63)
    ):
        return False
    try:
        addrs = list(map(socket.inet_pton, repeat(socket.AF_INET), addresses))
    except (OSError, ValueError):  # ValueError: an embedded NUL (the careful path reports it)
        return False
    out.names.extend(names)
    out.addrs.extend(addrs)
    out.first.extend(b"\x01" * len(names))
    return True


def _careful(lines: list[str], start: int, out: HostsFile, warnings: list[str]) -> None:
    for lineno, line in enumerate(lines, start + 1):
        hash_at = line.find("#")
        if hash_at >= 0:
            line = line[:hash_at]
        fields = line.split()
        if not fields:
            continue
        packed = parse_address(fields[0])
        if packed is None:
            warnings.append(f"bad address at {out.source} line {lineno}")
            continue
        first = 1
        for raw in fields[1:]:
            name = raw.rstrip(".")
            if not valid_name(name):
                warnings.append(f"bad name at {out.source} line {lineno}")
                continue
            out.names.append(name)
            out.addrs.append(packed)
            out.first.append(first)
            first = 0


# ---- DHCP files ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """Values read from one file, with the warnings for the lines that were skipped."""

    values: tuple[T, ...]
    warnings: tuple[str, ...]


def _content_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for lines that are not blank or `#` comments."""
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield lineno, stripped


def _grammar_file(text: str, source: str, parse: Callable[[str, Where], T]) -> Parsed[T]:
    values: list[T] = []
    warnings: list[str] = []
    for lineno, line in _content_lines(text):
        where = Where(source, lineno)
        try:
            values.append(parse(line, where))
        except ConfigError as exc:
            warnings.append(str(exc))
    return Parsed(tuple(values), tuple(warnings))


def parse_dhcp_hosts(text: str, source: str) -> Parsed[DhcpHost]:
    """--dhcp-hostsfile: one --dhcp-host value per line (dnsmasq reads them the same way)."""
    return _grammar_file(text, source, dhcp_host)


def parse_dhcp_opts(text: str, source: str) -> Parsed[DhcpOption]:
    """--dhcp-optsfile: one --dhcp-option value per line."""
    return _grammar_file(text, source, dhcp_option)


@dataclass(frozen=True, slots=True)
class EthersEntry:
    """One /etc/ethers line: a hardware address and either a host name or an IPv4 address."""

    hwaddr: bytes
    hostname: str | None = None
    address: IPv4Address | None = None
    line: int = field(default=0, compare=False)  # for "ignoring ... line N" (dhcp4/hostfiles)


def _ethers_address(text: str) -> IPv4Address | None:
    """inet_addr(): dotted numbers with 1-4 parts; -1 (255.255.255.255) means failure."""
    try:
        packed = socket.inet_aton(text)
    except OSError:
        return None
    return None if packed == b"\xff\xff\xff\xff" else IPv4Address(packed)


def parse_ethers(text: str, source: str) -> Parsed[EthersEntry]:
    """/etc/ethers (ethers(5)) read as dnsmasq 2.90's dhcp_read_ethers: lines starting with
    `#` or `+` (NIS) are skipped; the MAC is the text up to the first blank and everything
    after the blanks is the name or address, so a `#` later on the line is part of it.
    Warnings: "bad line" (no second field, or not a 6-octet MAC, also for a line starting
    with a blank), "bad address" (only digits and dots, but not an address), "bad name"
    (dnsmasq's legal_hostname, which checks the first label only)."""
    from lanctl.config.grammar.dhcp_host import valid_hostname

    values: list[EthersEntry] = []
    warnings: list[str] = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip()
        if not line or line[0] in "#+":
            continue
        mac_text, rest = _FIELDS.match(line).groups()  # type: ignore[union-attr]
        mac = _ethers_mac(mac_text)
        if not rest or mac is None:
            warnings.append(f"bad line at {source} line {lineno}")
            continue
        if not rest.strip("0123456789."):
            address = _ethers_address(rest)
            if address is None:
                warnings.append(f"bad address at {source} line {lineno}")
                continue
            values.append(EthersEntry(mac, address=address, line=lineno))
            continue
        name = (rest[:-1] if rest.endswith(".") else rest).lower()
        if not name or ".." in name or not valid_hostname(name):
            warnings.append(f"bad name at {source} line {lineno}")
            continue
        values.append(EthersEntry(mac, hostname=name, line=lineno))
    return Parsed(tuple(values), tuple(warnings))


def _ethers_mac(text: str) -> bytes | None:
    try:
        mac = parse_mac(text)
    except ConfigError:
        return None
    if mac.has_wildcard or mac.hwtype is not None or len(mac.octets) != 6:
        return None
    return bytes(mac.octets)
