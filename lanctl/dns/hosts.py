"""Parser for /etc/hosts-format files (/etc/hosts, --addn-hosts, --hostsdir files).

Format (hosts(5)): `address name [aliases...]`, `#` starts a comment anywhere on a line.
As dnsmasq: an address that `inet_pton` rejects (e.g. "192.0.2.034", "fe80::1%eth0")
gives "bad address at FILE line N" and the line is skipped; a bad name is skipped with
"bad name at FILE line N"; names are lowercased and a trailing dot dropped.  Pure: the
caller reads the file; bad lines become warnings, never exceptions.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Final

# Characters dnsmasq accepts in host names read from files (letters, digits, '-', '_',
# and '*' for wildcard-looking names that it stores literally), dot-separated.
_LABEL: Final = re.compile(r"[a-z0-9_*-]{1,63}\Z")


@dataclass(frozen=True, slots=True)
class HostsFile:
    """One parsed hosts file, kept compact: packed addresses and name tuples, in file order.

    `entries[i] = (packed, names)`: `packed` is 4 bytes (IPv4) or 16 bytes (IPv6),
    `names` are lowercased dotted names, first one canonical (it gets the PTR record).
    """

    source: str
    entries: list[tuple[bytes, tuple[str, ...]]]
    warnings: tuple[str, ...]


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
    entries: list[tuple[bytes, tuple[str, ...]]] = []
    warnings: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        hash_at = line.find("#")
        if hash_at >= 0:
            line = line[:hash_at]
        fields = line.split()
        if not fields:
            continue
        packed = parse_address(fields[0])
        if packed is None:
            warnings.append(f"bad address at {source} line {lineno}")
            continue
        names: list[str] = []
        for raw in fields[1:]:
            name = raw.lower().rstrip(".")
            if valid_name(name):
                names.append(name)
            else:
                warnings.append(f"bad name at {source} line {lineno}")
        if names:
            entries.append((packed, tuple(names)))
    return HostsFile(source, entries, tuple(warnings))
