"""Which ranges, host line and domain apply to a request: links, relays, host matching."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from lanctl.config import load
from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.dhcp4.context import domain_for, find_host, find_link
from lanctl.dhcp4.wire import BOOTREQUEST, ZERO, Packet

A = IPv4Address


def cfg(*lines: str) -> tuple[list[Dhcp4Range], list[DhcpHost], tuple[object, ...]]:
    c = load(["-C", "/dev/null", *lines]).dhcp4
    ranges = [r for r in c.dhcp_range if isinstance(r, Dhcp4Range)]
    hosts = [h for h in c.dhcp_host if isinstance(h, DhcpHost)]
    return ranges, hosts, c.domain


def test_local_link_uses_the_interface_subnet() -> None:
    ranges, _, _ = cfg(
        "--dhcp-range=192.0.2.50,192.0.2.99", "--dhcp-range=198.51.100.10,198.51.100.20"
    )
    addrs = (IPv4Interface("203.0.113.1/24"), IPv4Interface("198.51.100.1/24"))
    link = find_link(ranges, addrs, ZERO)
    assert link is not None and not link.relayed
    assert link.server == A("198.51.100.1") and link.ranges == (ranges[1],)
    assert link.contains(A("198.51.100.200")) and not link.contains(A("198.51.100.255"))
    assert find_link(ranges, (IPv4Interface("203.0.113.1/24"),), ZERO) is None


def test_relayed_link_needs_a_netmask_and_matches_giaddr() -> None:
    ranges, _, _ = cfg(
        "--dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0",
        "--dhcp-range=203.0.113.10,203.0.113.20",
    )
    addrs = (IPv4Interface("192.0.2.1/24"),)
    link = find_link(ranges, addrs, A("198.51.100.1"))
    assert link is not None and link.relayed and link.server == A("192.0.2.1")
    assert str(link.network) == "198.51.100.0/24"
    assert find_link(ranges, addrs, A("203.0.113.1")) is None  # no netmask: not relayed to


def pkt(mac: str) -> Packet:
    return Packet(BOOTREQUEST, 1, bytes.fromhex(mac.replace(":", "")))


def test_host_matching_order_client_id_mac_then_name() -> None:
    _, hosts, _ = cfg(
        "--dhcp-host=02:00:00:00:00:01,192.0.2.10",
        "--dhcp-host=id:aa:bb,192.0.2.11",
        "--dhcp-host=laptop,192.0.2.12",
        "--dhcp-host=tag:red,02:00:00:00:00:05,192.0.2.13",
    )
    mac1 = pkt("02:00:00:00:00:01")
    assert find_host(hosts, mac1, b"\xaa\xbb", None, set()) is hosts[1]
    assert find_host(hosts, mac1, None, "laptop", set()) is hosts[0]
    assert find_host(hosts, pkt("02:00:00:00:00:02"), None, "laptop", set()) is hosts[2]
    assert find_host(hosts, pkt("02:00:00:00:00:02"), None, None, set()) is None
    assert find_host(hosts, pkt("02:00:00:00:00:05"), None, None, set()) is None
    assert find_host(hosts, pkt("02:00:00:00:00:05"), None, None, {"red"}) is hosts[3]


def test_domain_by_network_range_or_global() -> None:
    _, _, domains = cfg(
        "--domain=lab.test,192.0.2.0/25",
        "--domain=range.test,192.0.2.200,192.0.2.210",
        "--domain=example.test",
    )
    assert domain_for(domains, A("192.0.2.5")) == "lab.test"
    assert domain_for(domains, A("192.0.2.205")) == "range.test"
    assert domain_for(domains, A("192.0.2.150")) == "example.test"
    assert domain_for((), A("192.0.2.150")) is None
