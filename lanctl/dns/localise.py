"""--localise-queries: answer a name's IPv4 addresses on the subnet the query arrived on.

dnsmasq 2.90 (man page, and checked with dig): when a hosts-file or --host-record name has
several IPv4 addresses and some lie in the subnet of the address the query was sent to,
only those are answered (A and the A part of ANY); otherwise all are.  IPv6 is not
localised ("currently this facility is limited to IPv4").  The arrival subnet is the most
specific connected IPv4 network containing the local address of the socket (a UDP socket
bound to one address, or the local end of a TCP connection): see server.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from lanctl.dns.access import IPNetwork
from lanctl.dns.records import LocalRR

Net = ipaddress.IPv4Network


def arrival_net(local: str, nets: Sequence[IPNetwork]) -> Net | None:
    """The narrowest IPv4 network of `nets` holding the local address `local`, or None
    (IPv6, the wildcard address, or an address on no known network)."""
    try:
        addr = ipaddress.ip_address(local)
    except ValueError:
        return None
    if not isinstance(addr, ipaddress.IPv4Address) or addr.is_unspecified:
        return None
    holding = [net for net in nets if isinstance(net, Net) and addr in net]
    return max(holding, key=lambda net: net.prefixlen, default=None)


def localise(rrs: list[LocalRR], net: Net) -> list[LocalRR]:
    """The A records of `rrs` inside `net` when there are some, else all of them."""
    base, mask = int(net.network_address), int(net.netmask)
    inside = [rr for rr in rrs if int.from_bytes(rr.rdata, "big") & mask == base]
    return inside or rrs
