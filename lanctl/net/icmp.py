"""ICMP echo for the DHCP ping check (dnsmasq icmp_ping): one raw socket, many pings in flight.

The raw socket needs CAP_NET_RAW: it is opened before the privilege drop (and the
capability kept, as dnsmasq does, see net/privileges.py).  `send(addr, deadline)` sends
one echo request (identifier from the pid, a sequence number per ping, as dnsmasq sends a
single echo and waits); `drain()` reads every pending datagram and returns the addresses
that answered, `expired(now)` those whose deadline passed without an answer.  Deadlines
are time.monotonic() values.  Linux only; no trio here: the DHCP adapter drives it.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
from ipaddress import IPv4Address
from typing import Final

log = logging.getLogger("lanctl.net.icmp")

ECHO_REQUEST: Final = 8
ECHO_REPLY: Final = 0
HEADER: Final = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
PAYLOAD: Final = b"lanctl-dhcp-ping"


def checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    body = HEADER.pack(ECHO_REQUEST, 0, 0, ident, seq) + PAYLOAD
    return HEADER.pack(ECHO_REQUEST, 0, checksum(body), ident, seq) + PAYLOAD


def parse_reply(packet: bytes, ident: int) -> IPv4Address | None:
    """The source of an echo reply with our identifier (an IPv4 datagram), else None."""
    if len(packet) < 20:
        return None
    ihl = (packet[0] & 0x0F) * 4
    if packet[9] != socket.IPPROTO_ICMP or len(packet) < ihl + HEADER.size:
        return None
    kind, _code, _sum, got_ident, _seq = HEADER.unpack_from(packet, ihl)
    if kind != ECHO_REPLY or got_ident != ident:
        return None
    return IPv4Address(packet[12:16])


class Pinger:
    """Pings in flight: address -> deadline."""

    def __init__(self, sock: socket.socket | None = None) -> None:
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.setblocking(False)
        self.sock = sock
        self.ident = os.getpid() & 0xFFFF
        self.seq = 0
        self.waiting: dict[IPv4Address, float] = {}

    def send(self, addr: IPv4Address, deadline: float) -> bool:
        """Send one echo request; False if it could not be sent (treat as no answer)."""
        self.seq = (self.seq + 1) & 0xFFFF
        try:
            self.sock.sendto(echo_request(self.ident, self.seq), (str(addr), 0))
        except OSError as exc:
            log.debug("ping %s: %s", addr, exc)
            return False
        self.waiting[addr] = deadline
        return True

    def drain(self) -> list[IPv4Address]:
        """Addresses that answered since the last call."""
        answered: list[IPv4Address] = []
        while True:
            try:
                packet = self.sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return answered
            except OSError as exc:
                log.debug("ICMP receive: %s", exc)
                return answered
            source = parse_reply(packet, self.ident)
            if source is not None and self.waiting.pop(source, None) is not None:
                answered.append(source)

    def expired(self, now: float) -> list[IPv4Address]:
        """Addresses whose wait is over without an answer."""
        gone = [a for a, t in self.waiting.items() if t <= now]
        for addr in gone:
            del self.waiting[addr]
        return gone

    def next_deadline(self) -> float | None:
        return min(self.waiting.values(), default=None)

    def close(self) -> None:
        self.sock.close()


__all__ = ["Pinger", "checksum", "echo_request", "parse_reply"]
