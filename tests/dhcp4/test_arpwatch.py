"""--script-arp events from neighbour-table reads (lanctl.dhcp4.arpwatch), pure."""

from __future__ import annotations

from lanctl.dhcp4.arpwatch import ArpWatch
from lanctl.net.neighbours import Neighbour

A = Neighbour("192.0.2.9", bytes.fromhex("020000000009"))
B = Neighbour("192.0.2.10", bytes.fromhex("02000000000a"))
V6 = Neighbour("2001:db8::9", bytes.fromhex("020000000009"))


def args(jobs: list[object]) -> list[tuple[str, ...]]:
    return [j.args for j in jobs]  # type: ignore[attr-defined]


def test_first_read_adds_everything_then_only_changes() -> None:
    watch = ArpWatch()
    assert args(watch.update([V6, A])) == [
        ("arp-add", "02:00:00:00:00:09", "192.0.2.9"),
        ("arp-add", "02:00:00:00:00:09", "2001:db8::9"),
    ]
    assert watch.update([A, V6]) == []  # nothing changed
    assert args(watch.update([A, B])) == [
        ("arp-del", "02:00:00:00:00:09", "2001:db8::9"),
        ("arp-add", "02:00:00:00:00:0a", "192.0.2.10"),
    ]


def test_a_new_mac_for_an_address_is_a_del_and_an_add() -> None:
    watch = ArpWatch()
    watch.update([A])
    moved = Neighbour("192.0.2.9", bytes.fromhex("0200000000ff"))
    assert args(watch.update([moved])) == [
        ("arp-del", "02:00:00:00:00:09", "192.0.2.9"),
        ("arp-add", "02:00:00:00:00:ff", "192.0.2.9"),
    ]
    assert all(j.env == () for j in watch.update([]))  # no DNSMASQ_* variables
