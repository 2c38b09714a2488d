"""Address choice tables: dnsmasq's MAC hash, wrap-around, sequential mode, static ranges."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.dhcp4.allocate import mac_hash, walk

A = IPv4Address
R = Dhcp4Range(A("192.0.2.50"), A("192.0.2.99"))


@pytest.mark.parametrize(
    ("mac", "expected"),
    [
        # Offers observed from dnsmasq 2.90 for range .50-.99 (tests/dhcp4/test_compat.py).
        ("020000000102", "192.0.2.63"),
    ],
)
def test_hash_matches_dnsmasq(mac: str, expected: str) -> None:
    assert walk([R], bytes.fromhex(mac), lambda a: False) == A(expected)


def test_hash_is_sdbm_and_never_zero() -> None:
    assert mac_hash(b"") == 1
    assert mac_hash(b"\x01") == 1
    assert mac_hash(b"\x01\x02") == (2 + (1 << 6) + (1 << 16) - 1)


def test_walk_skips_taken_and_wraps() -> None:
    mac = bytes.fromhex("020000000102")  # starts at .63
    taken = {A(f"192.0.2.{n}") for n in range(63, 100)}
    assert walk([R], mac, taken.__contains__) == A("192.0.2.50")
    everything = {A(f"192.0.2.{n}") for n in range(50, 100)}
    assert walk([R], mac, everything.__contains__) is None


def test_next_range_when_the_first_is_full() -> None:
    second = Dhcp4Range(A("192.0.2.150"), A("192.0.2.150"))
    assert walk([R, second], b"\x02" * 6, lambda a: a < A("192.0.2.100")) == A("192.0.2.150")


def test_static_ranges_are_never_walked() -> None:
    static = Dhcp4Range(A("192.0.2.0"), A("192.0.2.0"), mode="static")
    assert walk([static], b"\x02" * 6, lambda a: False) is None


def test_sequential_starts_after_the_highest_lease_and_wraps() -> None:
    assert walk([R], b"x", lambda a: False, sequential=True) == A("192.0.2.50")
    top = A("192.0.2.70")
    assert walk([R], b"x", lambda a: False, sequential=True, highest=lambda r: top) == A(
        "192.0.2.71"
    )
    end = A("192.0.2.99")
    assert walk([R], b"x", lambda a: a == end, sequential=True, highest=lambda r: end) == A(
        "192.0.2.50"
    )
