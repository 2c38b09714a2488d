"""--localise-queries: the arrival subnet of a local address, and the A records kept."""

from __future__ import annotations

import ipaddress

from lanctl.dns.localise import arrival_net, localise
from lanctl.dns.records import LocalRR
from lanctl.dns.wire import QType

NETS = [
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("192.0.2.128/25"),
    ipaddress.ip_network("2001:db8::/64"),
]


def a(text: str) -> LocalRR:
    return LocalRR(QType.A, 0, ipaddress.ip_address(text).packed, "/etc/hosts", text)


def test_arrival_net_is_the_narrowest_ipv4_network_holding_the_address() -> None:
    assert arrival_net("127.0.0.1", NETS) == ipaddress.ip_network("127.0.0.0/8")
    assert arrival_net("192.0.2.1", NETS) == ipaddress.ip_network("192.0.2.0/24")
    assert arrival_net("192.0.2.200", NETS) == ipaddress.ip_network("192.0.2.128/25")


def test_arrival_net_none_for_wildcard_ipv6_unknown_and_garbage() -> None:
    assert arrival_net("0.0.0.0", NETS) is None
    assert arrival_net("2001:db8::1", NETS) is None
    assert arrival_net("198.51.100.1", NETS) is None
    assert arrival_net("not an address", NETS) is None


def test_localise_keeps_the_addresses_inside_else_all() -> None:
    rrs = [a("192.0.2.1"), a("127.0.0.5"), a("198.51.100.1"), a("127.0.0.6")]
    lo = ipaddress.IPv4Network("127.0.0.0/8")
    assert [rr.text for rr in localise(rrs, lo)] == ["127.0.0.5", "127.0.0.6"]
    other = ipaddress.IPv4Network("203.0.113.0/24")
    assert localise(rrs, other) == rrs
