"""ICMP echo for the DHCP ping check (lanctl.net.icmp): codec, and a real ping in a namespace."""

from __future__ import annotations

import socket
import struct
import time
from ipaddress import IPv4Address

from lanctl.net.icmp import Pinger, checksum, echo_request, parse_reply
from tests.support.netns import Lab


def _ip(src: str, payload: bytes) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, 1, 0,
                       socket.inet_aton(src), socket.inet_aton("192.0.2.1")) + payload  # fmt: skip


def test_echo_request_checksums_to_zero() -> None:
    msg = echo_request(0x1234, 7)
    assert msg[0] == 8 and checksum(msg) == 0
    assert struct.unpack("!HH", msg[4:8]) == (0x1234, 7)


def test_parse_reply_takes_only_our_echo_replies() -> None:
    reply = bytes([0]) + echo_request(0x1234, 7)[1:]
    assert parse_reply(_ip("192.0.2.9", reply), 0x1234) == IPv4Address("192.0.2.9")
    assert parse_reply(_ip("192.0.2.9", reply), 0x4321) is None  # another pinger's
    assert parse_reply(_ip("192.0.2.9", echo_request(0x1234, 7)), 0x1234) is None
    assert parse_reply(b"\x45short", 0x1234) is None


def test_ping_in_a_namespace_answered_and_silent(netns: Lab) -> None:
    srv, other = netns("srv"), netns("oth")
    netns.link(srv, other, ["192.0.2.1/24"], ["192.0.2.9/24"])
    with srv.entered():
        pinger = Pinger()
    try:
        deadline = time.monotonic() + 3.0
        assert pinger.send(IPv4Address("192.0.2.9"), deadline)
        assert pinger.send(IPv4Address("192.0.2.10"), deadline)  # nobody has it
        answered: list[IPv4Address] = []
        while time.monotonic() < deadline and not answered:
            time.sleep(0.05)
            answered += pinger.drain()
        assert answered == [IPv4Address("192.0.2.9")]
        assert pinger.expired(time.monotonic()) == []  # .10 still has time
        assert pinger.expired(deadline + 0.01) == [IPv4Address("192.0.2.10")]
        assert pinger.next_deadline() is None
    finally:
        pinger.close()
