"""Interface list parsing and the index cache (net/interfaces.py)."""

from __future__ import annotations

import json
import socket
import struct

from lanctl.net.interfaces import IP_PKTINFO, IfAddr, Interfaces, parse_ip_addr, pktinfo

IP_J = json.dumps(
    [
        {"ifindex": 1, "ifname": "lo", "addr_info": [{"local": "127.0.0.1", "prefixlen": 8}]},
        {
            "ifindex": 5,
            "ifname": "eth0",
            "addr_info": [
                {"local": "192.0.2.1", "prefixlen": 24},
                {"local": "2001:db8::1", "prefixlen": 64, "tentative": True},
                {"local": "not-an-address"},
            ],
        },
        "garbage",
    ]
)


def test_parse_skips_tentative_and_garbage() -> None:
    assert parse_ip_addr(IP_J) == [
        IfAddr("lo", "127.0.0.1", 1, 8),
        IfAddr("eth0", "192.0.2.1", 5, 24),
    ]


def test_unknown_index_rereads_at_most_once_a_second() -> None:
    now = [100.0]
    reads: list[float] = []
    table = [IfAddr("lo", "127.0.0.1", 1)]

    def read() -> list[IfAddr]:
        reads.append(now[0])
        return list(table)

    ifaces = Interfaces(read, clock=lambda: now[0])
    assert ifaces.name(1) == "lo"
    table.append(IfAddr("eth9", "192.0.2.9", 9))
    assert ifaces.name(9) is None  # read 0 s ago: not re-read yet
    now[0] += 1.5
    assert ifaces.name(9) == "eth9"
    assert ifaces.owner("192.0.2.9") == "eth9"
    assert len(reads) == 2


def test_pktinfo_v4_and_v6() -> None:
    v4 = struct.pack("=i4s4s", 7, socket.inet_aton("192.0.2.1"), socket.inet_aton("192.0.2.1"))
    assert pktinfo([(socket.IPPROTO_IP, IP_PKTINFO, v4)]) == (7, "192.0.2.1")
    v6 = struct.pack("=16sI", socket.inet_pton(socket.AF_INET6, "2001:db8::1"), 3)
    assert pktinfo([(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, v6)]) == (3, "2001:db8::1")
    assert pktinfo([(socket.IPPROTO_IP, IP_PKTINFO, b"short")]) == (0, None)
