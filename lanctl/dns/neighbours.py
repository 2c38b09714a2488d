"""The neighbour table (IP -> MAC) for --add-mac: an adapter-side port for the resolver.

dnsmasq can add a requestor's MAC "only if the requestor is on the same subnet": it asks
the kernel's neighbour table.  Entries come from one rtnetlink dump (lanctl.net.neighbours,
IPv4 and IPv6), or from /proc/net/arp (IPv4 only) where that is unavailable; the table is
re-read on a miss, at most once a second, so a flood of queries from unknown addresses
costs one read per second.  Incomplete (all-zero) entries are ignored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine

log = logging.getLogger("lanctl.dns")
ARP: Final = "/proc/net/arp"
REREAD: Final = 1.0  # seconds between re-reads on a miss


def parse_arp(text: str) -> dict[str, bytes]:
    """/proc/net/arp: "IP address  HW type  Flags  HW address  Mask  Device" rows; only
    resolved entries (ATF_COM, flag 0x2)."""
    out: dict[str, bytes] = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 4 and int(parts[2], 16) & 0x2:
            mac = _mac(parts[3])
            if mac is not None:
                out[parts[0]] = mac
    return out


def _mac(text: str) -> bytes | None:
    try:
        mac = bytes.fromhex(text.replace(":", ""))
    except ValueError:
        return None
    return mac if len(mac) == 6 and any(mac) else None


def read_table() -> dict[str, bytes]:
    """Address -> MAC for every usable neighbour entry."""
    try:
        from lanctl.net.neighbours import read_neighbours

        return {n.address: n.hwaddr for n in read_neighbours() if len(n.hwaddr) == 6}
    except (ImportError, OSError) as exc:
        log.debug("netlink neighbour dump: %s; reading %s", exc, ARP)
    with open(ARP, encoding="ascii", errors="replace") as fh:
        return parse_arp(fh.read())


class NeighbourTable:
    """`mac_of(addr)`: the MAC of a neighbour, or None."""

    def __init__(
        self,
        read: Callable[[], dict[str, bytes]] = read_table,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._clock = clock
        self._macs: dict[str, bytes] = {}
        self._read_at = -REREAD
        self.reads = 0

    def mac_of(self, addr: str) -> bytes | None:
        mac = self._macs.get(addr)
        if mac is not None:
            return mac
        now = self._clock()
        if now - self._read_at < REREAD:
            return None
        self._read_at = now
        self.reads += 1
        try:
            self._macs = self._read()
        except OSError as exc:
            log.debug("neighbour table: %s", exc)
            return None
        return self._macs.get(addr)


def attach_neighbours(engine: DnsEngine, dns: DnsCfg) -> None:
    """Give the resolver a neighbour table when --add-mac is set."""
    if dns.add_mac is not None:
        engine.resolver.mac_of = NeighbourTable().mac_of
