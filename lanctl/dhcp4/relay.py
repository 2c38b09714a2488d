"""DHCPv4 relay agent (RFC 1542 §4.1, --dhcp-relay), as dnsmasq 2.90 relays: pure decisions.

A BOOTREQUEST that arrives on an interface owning a relay's local address is relayed, not
served (dnsmasq: "the relay function will take precedence"): hops is incremented (dropped
past 20), giaddr set to the local address unless a relay before us set it, and the packet
sent from the local address to each server of that local address (several --dhcp-relay
lines may share one), or broadcast on the relay's interface when no server is given.  A
BOOTREPLY whose giaddr is one of our local addresses comes back from a server (on the
relay's interface only, when one is named) and is delivered to the client on the
interface owning that address, as a reply of our own would be: to ciaddr, else broadcast
(broadcast flag, no usable hardware address), else unicast to yiaddr after an ARP entry.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.grammar.dhcp_net import DhcpRelay
from lanctl.dhcp4.effects import Send

BOOTREQUEST: Final = 1
BOOTREPLY: Final = 2
MAX_HOPS: Final = 20  # dnsmasq drops a request that already crossed more relays
MIN_BOOTP: Final = 236  # fixed BOOTP header
BROADCAST_FLAG: Final = 0x8000


@dataclass(frozen=True, slots=True)
class Forward:
    """A relayed request: sent from `source` to `dest` (out of `iface` when broadcast)."""

    dest: tuple[str, int]
    payload: bytes
    source: str
    iface: str | None = None


def log_line(fwd: Forward) -> str:
    """dnsmasq's --log-dhcp line for one relayed request."""
    to = f"broadcast via {fwd.iface}" if fwd.iface else fwd.dest[0]
    return f"DHCP relay at {fwd.source} -> {to}"


@dataclass(frozen=True, slots=True)
class RelayRoute:
    """One --dhcp-relay line (IPv4)."""

    local: IPv4Address
    server: IPv4Address | None
    port: int
    interface: str | None  # replies accepted on this interface only (else any)


def routes(relays: Iterable[object], server_port: int) -> tuple[RelayRoute, ...]:
    """The IPv4 --dhcp-relay lines; the port defaults to the DHCP server port."""
    out: list[RelayRoute] = []
    for r in relays:
        if isinstance(r, DhcpRelay) and isinstance(r.local, IPv4Address):
            server = r.server if isinstance(r.server, IPv4Address) else None
            out.append(RelayRoute(r.local, server, r.port or server_port, r.interface))
    return tuple(out)


def log_lines(table: Sequence[RelayRoute]) -> list[str]:
    """dnsmasq's start-up lines (log_relay)."""
    out = []
    for r in table:
        if r.server is None:
            out.append(f"DHCP relay from {r.local} via {r.interface}")
        elif r.interface:
            out.append(f"DHCP relay from {r.local} to {r.server} via {r.interface}")
        else:
            out.append(f"DHCP relay from {r.local} to {r.server}")
    return out


class Relay:
    """Relay decisions over raw BOOTP bytes (the header fields only: no option parsing)."""

    def __init__(self, table: Sequence[RelayRoute], client_port: int = 68) -> None:
        self.table = tuple(table)
        self.locals = frozenset(str(r.local) for r in self.table)
        self.client_port = client_port

    def relays_on(self, addresses: Iterable[str]) -> str | None:
        """The local relay address among an interface's addresses, if any."""
        return next((a for a in addresses if a in self.locals), None)

    def upstream(self, data: bytes, local: str) -> list[Forward]:
        """A client's request that arrived on the interface owning `local`."""
        if len(data) < MIN_BOOTP or data[0] != BOOTREQUEST or data[3] > MAX_HOPS:
            return []
        hops = bytes([data[3] + 1])
        giaddr, mine = data[24:28], IPv4Address(local).packed
        if giaddr == mine:
            return []  # our own request back again: a relay loop
        if giaddr == bytes(4):
            giaddr = mine  # RFC 1542 §4.1.1: only when no relay before us set it
        payload = data[:3] + hops + data[4:24] + giaddr + data[28:]
        out = []
        for r in self.table:
            if str(r.local) != local:
                continue
            if r.server is None:  # the adapter sends to that interface's broadcast address
                out.append(Forward(("255.255.255.255", r.port), payload, local, r.interface))
            else:
                out.append(Forward((str(r.server), r.port), payload, local))
        return out

    def downstream(
        self, data: bytes, arrival: str, owner: Callable[[str], str | None]
    ) -> Send | bool | None:
        """A server's reply: the delivery to the client, None to drop it, False if not ours.

        `owner(address)` names the local interface that has `address`.
        """
        if len(data) < MIN_BOOTP or data[0] != BOOTREPLY:
            return False
        giaddr = str(IPv4Address(data[24:28]))
        if giaddr not in self.locals:
            return False
        accepted = any(
            str(r.local) == giaddr
            and (r.interface is None or fnmatch.fnmatchcase(arrival, r.interface))
            for r in self.table
        )
        iface = owner(giaddr)
        if not accepted or iface is None:
            return None
        ciaddr, yiaddr = data[12:16], data[16:20]
        flags = int.from_bytes(data[10:12], "big")
        htype, hlen = data[1], data[2]
        if ciaddr != bytes(4):
            return Send((str(IPv4Address(ciaddr)), self.client_port), data, iface)
        if flags & BROADCAST_FLAG or htype == 0 or hlen == 0 or hlen > 14:
            return Send(("255.255.255.255", self.client_port), data, iface)
        dest = (str(IPv4Address(yiaddr)), self.client_port)
        return Send(dest, data, iface, hwaddr=data[28 : 28 + hlen])


__all__ = ["Forward", "Relay", "RelayRoute", "log_line", "log_lines", "routes"]
