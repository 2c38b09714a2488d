"""Lease values: what they refuse, expiry at `now`, and dnsmasq's same-client rule."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Any

import pytest

from lanctl.store.lease import Lease4, Lease6

ADDR4 = IPv4Address("192.0.2.50")
ADDR6 = IPv6Address("2001:db8::1")
MAC = bytes.fromhex("020000000001")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"hwtype": 256}, "hardware type"),
        ({"hwtype": -1}, "hardware type"),
        ({"hwaddr": bytes(17)}, "17 octets"),
        ({"expires": -1}, "negative expiry"),
        ({"client_id": b""}, "empty client-id"),
        ({"hostname": ""}, "host name"),
        ({"hostname": "*"}, "host name"),
        ({"hostname": "two words"}, "host name"),
        ({"hostname": "tab\there"}, "host name"),
        ({"hostname": "nl\n"}, "host name"),
    ],
)
def test_lease4_refuses(kw: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"address": ADDR4, "hwaddr": MAC, **kw}
    with pytest.raises(ValueError, match=message):
        Lease4(**fields)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"kind": "xx"}, "not na, ta or pd"),
        ({"kind": "pd"}, "prefix"),
        ({"address": IPv6Network("2001:db8::/64")}, "prefix"),
        ({"iaid": 2**32}, "32-bit"),
        ({"iaid": -1}, "32-bit"),
        ({"expires": -5}, "negative expiry"),
        ({"hostname": "a b"}, "host name"),
    ],
)
def test_lease6_refuses(kw: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"address": ADDR6, "duid": b"\x00\x01", "iaid": 1, **kw}
    with pytest.raises(ValueError, match=message):
        Lease6(**fields)


def test_expiry_at_now() -> None:
    lease = Lease4(ADDR4, MAC, expires=100)
    assert not lease.expired(99)
    assert lease.expired(100) and lease.expired(101)
    assert not Lease4(ADDR4, MAC, expires=0).expired(2**40)  # 0 is infinite
    assert Lease6(ADDR6, b"", 1, expires=5).expired(5)


def test_same_client_rule() -> None:
    other_mac = bytes.fromhex("020000000002")
    a = Lease4(ADDR4, MAC, client_id=b"\x01a")
    assert a.same_client(Lease4(ADDR4, other_mac, client_id=b"\x01a"))
    assert not a.same_client(Lease4(ADDR4, MAC, client_id=b"\x01b"))
    assert a.same_client(Lease4(ADDR4, MAC))
    assert not a.same_client(Lease4(ADDR4, other_mac))
    assert not Lease4(ADDR4, MAC).same_client(Lease4(ADDR4, MAC, hwtype=6))
    assert not Lease4(ADDR4, b"", hwtype=32).same_client(Lease4(ADDR4, b"", hwtype=32))
