"""The cache dump dnsmasq 2.90 logs after its SIGUSR1 statistics when --log-queries is on.

A header, a line of dashes, then one row per entry: name (30 columns), address (40), flags
(10), expiry (24, ctime in local time; blank for entries that never expire) and, for hosts
and --host-record entries, the source (40); longer names and sources are cut, as dnsmasq.
Flags are positional as dnsmasq prints them: type ('4' A, '6' AAAA, 'C' CNAME, 'T' other),
F (forward), R (the name answers reverse lookups too), I (immortal), D (DHCP), N (negative),
X (NXDOMAIN), H (hosts), C (config).
Cached replies give one row each (their first answer: lanctl keeps whole replies, dnsmasq
has a row per address and one for each CNAME target); rows for local PTR records are folded
into the R flag of the forward row, as dnsmasq keeps one entry for both.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from typing import Final

from lanctl.dns.cache import DumpRow
from lanctl.dns.local import CONFIG_SOURCE, DHCP_SOURCE

HEAD: Final = (
    f"{'Host':<30} {'Address':<40} {'Flags':<10} {'Expires':<24} Source",
    f"{'-' * 30} {'-' * 40} {'-' * 10} {'-' * 24} {'-' * 12}",
)
_TYPE_CHAR: Final = {"A": "4", "AAAA": "6", "CNAME": "C"}


def row(name: str, addr: str, flags: str, expires: str = "", source: str = "") -> str:
    """One dump line in dnsmasq's column widths."""
    line = f"{name:<30.30} {addr:<40.40} {flags:<10} {expires:<24}"
    return f"{line} {source:<40.40}" if source else line


def flags_text(kind: str, *, reverse: bool = False, immortal: bool = False,
               dhcp: bool = False, negative: bool = False, nxdomain: bool = False,
               hosts: bool = False, config: bool = False) -> str:  # fmt: skip
    """dnsmasq's positional flag letters."""
    return "".join((
        _TYPE_CHAR.get(kind, "T"), "F", "R" if reverse else " ", "I" if immortal else " ",
        "D" if dhcp else " ", "N" if negative else " ", "X" if nxdomain else " ",
        "H" if hosts else " ", "C" if config else " ",
    ))  # fmt: skip


def local_rows(records: Iterable[tuple[str, str, str, str]]) -> list[str]:
    """Rows for the local data: (name, type, value, source) as LocalData.dump yields them."""
    items = list(records)
    reverse = {(name, value.lower()) for name, kind, value, _ in items if kind == "PTR"}
    out: list[str] = []
    for name, kind, value, source in items:
        if kind in ("A", "AAAA"):
            dhcp = source == DHCP_SOURCE
            config = source == CONFIG_SOURCE
            flags = flags_text(
                kind, reverse=(value, name.lower()) in reverse, immortal=not dhcp, dhcp=dhcp,
                hosts=not dhcp, config=config,
            )  # fmt: skip
            out.append(row(name, value, flags, "", "" if dhcp else source))
        elif kind == "CNAME":
            out.append(row(name, value, flags_text(kind, immortal=True, config=True)))
    return out


def cache_rows(rows: Iterable[DumpRow], wall_now: float) -> list[str]:
    """Rows for cached replies (Cache.dump), expiring `ttl` seconds after `wall_now`:
    NXDOMAIN without a type letter, other types than A/AAAA/CNAME as "T" with "<TYPE>",
    a negative reverse lookup under the address with R and no F (dnsmasq 2.90)."""
    out: list[str] = []
    for r in rows:
        expires = time.ctime(wall_now + r.ttl)
        negative, nxdomain = "N" in r.flags, "X" in r.flags
        ip = _reverse_ip(r.name) if negative and r.type == "PTR" else None
        if ip is not None:
            kind = "4" if ip.version == 4 else "6"
            out.append(row("", str(ip), f"{kind} R  N" + ("X" if nxdomain else ""), expires))
            continue
        kind = "CNAME" if r.value == "<CNAME>" else r.type
        flags = flags_text(kind, negative=negative, nxdomain=nxdomain)
        if nxdomain:
            flags = " " + flags[1:]
        addr = "" if negative or r.value == "<CNAME>" else r.value
        if not negative and kind not in _TYPE_CHAR:
            addr = f"<{r.type}>"
        out.append(row(r.name, addr, flags, expires))
    return out


def _reverse_ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address of an in-addr.arpa / ip6.arpa name, or None."""
    labels = name.lower().rstrip(".").split(".")
    try:
        if labels[-2:] == ["in-addr", "arpa"] and len(labels) == 6:
            return ipaddress.IPv4Address(".".join(reversed(labels[:4])))
        if labels[-2:] == ["ip6", "arpa"] and len(labels) == 34:
            nibbles = "".join(reversed(labels[:32]))
            return ipaddress.IPv6Address(int(nibbles, 16))
    except ValueError:
        return None
    return None


def dump_lines(local: Iterable[tuple[str, str, str, str]], cached: Iterable[DumpRow]) -> list[str]:
    """The whole dump: header, cached replies, local data."""
    return [*HEAD, *cache_rows(cached, time.time()), *local_rows(local)]
