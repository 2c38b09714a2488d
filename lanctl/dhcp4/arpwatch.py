"""--script-arp: "arp-add" and "arp-del" runs of --dhcp-script as the neighbour table changes.

As dnsmasq's arp.c: the kernel's ARP and IPv6 neighbour table (lanctl.net.neighbours) is
read when the service starts and then every INTERVAL (90) seconds; an (address, MAC)
pair not seen before gives `arp-add <MAC> <address>`, one that went away (or whose MAC
changed) `arp-del <MAC> <address>`, deletions first.  The script gets just those two
arguments, with no DNSMASQ_* variables (checked against dnsmasq 2.90).  Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from lanctl.net.neighbours import Neighbour
from lanctl.script import ScriptJob

INTERVAL: Final = 90.0  # dnsmasq arp.c: seconds between forced re-reads of the kernel table

__all__ = ["INTERVAL", "ArpWatch", "arp_job"]


def arp_job(action: str, entry: tuple[str, bytes]) -> ScriptJob:
    address, hwaddr = entry
    return ScriptJob((action, ":".join(f"{b:02x}" for b in hwaddr), address))


def _order(entries: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return sorted(entries, key=lambda e: (":" in e[0], e[0], e[1]))


class ArpWatch:
    """The neighbour entries reported so far."""

    def __init__(self) -> None:
        self.known: set[tuple[str, bytes]] = set()

    def update(self, entries: Iterable[Neighbour]) -> list[ScriptJob]:
        """Jobs for what changed since the last read: arp-del first, then arp-add."""
        now = {(n.address, n.hwaddr) for n in entries}
        gone, new = self.known - now, now - self.known
        self.known = now
        return [arp_job("arp-del", e) for e in _order(gone)] + [
            arp_job("arp-add", e) for e in _order(new)
        ]
