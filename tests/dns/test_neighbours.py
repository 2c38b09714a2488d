"""--add-mac's neighbour table: /proc/net/arp parsing and re-reads limited to one a second."""

from __future__ import annotations

from lanctl.dns.neighbours import NeighbourTable, parse_arp

ARP = """IP address       HW type     Flags       HW address            Mask     Device
192.0.2.250      0x1         0x2         02:00:00:00:01:01     *        eth0
192.0.2.251      0x1         0x0         00:00:00:00:00:00     *        eth0
192.0.2.252      0x1         0x2         02:00:00:00:01:02     *        eth0
"""


def test_parse_arp_keeps_resolved_entries() -> None:
    assert parse_arp(ARP) == {
        "192.0.2.250": bytes.fromhex("020000000101"),
        "192.0.2.252": bytes.fromhex("020000000102"),
    }


def test_misses_reread_at_most_once_a_second() -> None:
    now = [100.0]
    table: dict[str, bytes] = {}
    t = NeighbourTable(lambda: dict(table), clock=lambda: now[0])
    assert t.mac_of("192.0.2.250") is None and t.reads == 1
    table["192.0.2.250"] = bytes.fromhex("020000000101")
    assert t.mac_of("192.0.2.250") is None and t.reads == 1  # within the second: no read
    now[0] += 1.0
    assert t.mac_of("192.0.2.250") == bytes.fromhex("020000000101") and t.reads == 2
    assert t.mac_of("192.0.2.250") is not None and t.reads == 2  # a hit: no read
