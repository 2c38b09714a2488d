"""The kernel neighbour table and interface addresses through rtnetlink (lanctl.net)."""

from __future__ import annotations

import socket
import struct

from lanctl.net.neighbours import NDMSG, Neighbour, parse_neighbours, read_neighbours
from lanctl.net.rtnl import NLMSG, messages
from tests.support.netns import Lab


def _attr(kind: int, value: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(value), kind) + value
    return raw + bytes(-len(raw) % 4)


def _neigh(family: int, state: int, dst: bytes | None, mac: bytes | None) -> bytes:
    body = NDMSG.pack(family, 2, state, 0, 1)
    if dst is not None:
        body += _attr(1, dst)
    if mac is not None:
        body += _attr(2, mac)
    return NLMSG.pack(NLMSG.size + len(body), 28, 2, 1, 0) + body


def test_parse_dump_keeps_usable_entries_with_both_addresses() -> None:
    mac = bytes.fromhex("020000000009")
    data = (
        _neigh(socket.AF_INET, 0x02, socket.inet_aton("192.0.2.9"), mac)  # REACHABLE
        + _neigh(socket.AF_INET, 0x20, socket.inet_aton("192.0.2.8"), mac)  # FAILED
        + _neigh(socket.AF_INET, 0x01, socket.inet_aton("192.0.2.7"), None)  # INCOMPLETE
        + _neigh(socket.AF_INET6, 0x04, socket.inet_pton(socket.AF_INET6, "2001:db8::9"), mac)
        + NLMSG.pack(NLMSG.size, 3, 2, 1, 0)  # DONE
    )
    msgs = list(messages(data))
    assert msgs[-1][0] == 3  # the walk stops at NLMSG_DONE
    assert parse_neighbours(msgs) == [Neighbour("192.0.2.9", mac), Neighbour("2001:db8::9", mac)]


def test_read_neighbours_in_a_namespace(netns: Lab) -> None:
    a, b = netns("a"), netns("b")
    link = netns.link(a, b, ["192.0.2.1/24"], ["192.0.2.9/24"])
    a.run(["ping", "-c", "1", "-W", "2", "192.0.2.9"])
    with a.entered():
        found = read_neighbours()
    assert Neighbour("192.0.2.9", bytes.fromhex(link.b_mac.replace(":", ""))) in found


def test_ipv4_addresses_lists_secondary_addresses_in_order(netns: Lab) -> None:
    from ipaddress import IPv4Interface

    from lanctl.net.addresses import ipv4_addresses

    a, b = netns("a"), netns("b")
    link = netns.link(a, b, ["192.0.2.1/24"], [])
    a.add_address(link.a_if, "192.0.2.7/24")  # a secondary in the same subnet
    a.add_address(link.a_if, "203.0.113.1/24")
    with a.entered():
        found = ipv4_addresses()
        index = socket.if_nametoindex(link.a_if)
    assert found[index] == [  # kernel order: the primary address of each subnet first
        IPv4Interface("192.0.2.1/24"),
        IPv4Interface("203.0.113.1/24"),
        IPv4Interface("192.0.2.7/24"),
    ]
