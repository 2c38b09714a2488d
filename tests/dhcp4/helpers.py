"""Building client packets and engines for the DHCPv4 engine tests (no sockets, fixed time)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Interface

from lanctl.config import load
from lanctl.dhcp4.context import Inbound
from lanctl.dhcp4.effects import Effect, LeaseChanged, Log, Send
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.wire import BOOTREQUEST, ZERO, MessageType, Packet, decode_packet, encode_packet
from lanctl.store.lease import Lease4

IFACE = "veth0"
SERVER = IPv4Address("192.0.2.1")
ADDRS = (IPv4Interface("192.0.2.1/24"),)
T0 = 1_700_000_000.0


def mac(n: int) -> bytes:
    return bytes([0x02, 0, 0, 0, n >> 8, n & 0xFF])


def engine(
    *options: str, leases: Sequence[Lease4] = (), dns: bool = False, ping: bool = False
) -> Dhcp4Engine:
    """An engine over `options`; --no-ping unless `ping` (test_pingcheck.py tests the check)."""
    cfg = load(["-C", "/dev/null", *([] if ping else ["--no-ping"]), *options])
    return Dhcp4Engine(cfg.dhcp4, leases, rng=random.Random(0), dns_enabled=dns)


def packet(
    mtype: MessageType,
    hw: bytes,
    *,
    xid: int = 1,
    ciaddr: IPv4Address = ZERO,
    giaddr: IPv4Address = ZERO,
    flags: int = 0,
    requested: IPv4Address | None = None,
    server: IPv4Address | None = None,
    client_id: bytes | None = None,
    hostname: str | None = None,
    params: bytes | None = None,
    extra: dict[int, bytes] | None = None,
) -> bytes:
    opts: dict[int, bytes] = {53: bytes([mtype])}
    if requested is not None:
        opts[50] = requested.packed
    if server is not None:
        opts[54] = server.packed
    if client_id is not None:
        opts[61] = client_id
    if hostname is not None:
        opts[12] = hostname.encode()
    if params is not None:
        opts[55] = params
    opts.update(extra or {})
    pkt = Packet(BOOTREQUEST, xid, hw, ciaddr=ciaddr, giaddr=giaddr, flags=flags, options=opts)
    return encode_packet(pkt, max_size=1500)


def feed(
    eng: Dhcp4Engine, data: bytes, now: float = T0, addrs: tuple[IPv4Interface, ...] = ADDRS
) -> list[Effect]:
    return eng.on_datagram(Inbound(data, ("0.0.0.0", 68), IFACE, addrs), now)


def replies(effects: Sequence[Effect]) -> list[Packet]:
    return [decode_packet(e.payload) for e in effects if isinstance(e, Send)]


def sends(effects: Sequence[Effect]) -> list[Send]:
    return [e for e in effects if isinstance(e, Send)]


def logs(effects: Sequence[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Log)]


def changes(effects: Sequence[Effect]) -> list[tuple[str, IPv4Address]]:
    return [(e.action, e.lease.address) for e in effects if isinstance(e, LeaseChanged)]


def one_reply(effects: Sequence[Effect]) -> Packet:
    found = replies(effects)
    assert len(found) == 1, effects
    return found[0]


def dora(eng: Dhcp4Engine, hw: bytes, now: float = T0, **kw: object) -> Packet:
    """DISCOVER, OFFER, REQUEST(selecting), ACK: the ACK packet."""
    offer = one_reply(feed(eng, packet(MessageType.DHCPDISCOVER, hw, **kw), now))  # type: ignore[arg-type]
    assert offer.message_type is MessageType.DHCPOFFER
    req = packet(MessageType.DHCPREQUEST, hw, requested=offer.yiaddr, server=SERVER, **kw)  # type: ignore[arg-type]
    ack = one_reply(feed(eng, req, now))
    assert ack.message_type is MessageType.DHCPACK, ack
    return ack
