"""Replies copied from templates (prebuilt.py) are the general code's replies, octet for octet.

Two engines with one configuration take the same random exchanges: one builds every reply
the general way (templates off), the other copies templates where it may.  Every effect
must match: the reply octets and where they go, lease changes, log lines.  The exchanges
vary what a template must not carry over from one client to the next: hardware type and
address, client-id, xid, broadcast flag, ciaddr (renewals), relay, parameter list, size
limit (option 57), requested lease time, rapid commit; names and option 82 (which bypass
templates).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface

from hypothesis import given, settings
from hypothesis import strategies as st

from lanctl.config import load
from lanctl.dhcp4.context import Inbound
from lanctl.dhcp4.effects import Effect, Send
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.prebuilt import Encoded
from lanctl.dhcp4.wire import BOOTREQUEST, ZERO, MessageType, Packet, decode_packet, encode_packet

T0 = 1_700_000_000.0
ADDRS = (IPv4Interface("192.0.2.1/24"),)
RELAYS = [ZERO, ZERO, IPv4Address("198.51.100.1"), IPv4Address("198.51.100.7")]
BASE = [
    "--no-ping",
    "--dhcp-range=192.0.2.10,192.0.2.60,255.255.255.0,1h",
    "--dhcp-range=set:far,198.51.100.10,198.51.100.60,255.255.255.0,2h",
]
EXTRAS = [
    "--dhcp-option=6,192.0.2.53",
    "--dhcp-option=tag:far,option:ntp-server,198.51.100.123",
    "--dhcp-option=tag:veth0,42,192.0.2.9",
    "--dhcp-option-force=option:mtu,1400",
    "--dhcp-option=66,tftp.example",
    "--dhcp-option=119,lan.example,example.net",
    "--domain=lan.example",
    "--dhcp-rapid-commit",
    "--dhcp-authoritative",
    "--dhcp-no-override",
    "--quiet-dhcp",
]
PARAMS = [None, bytes((1, 3, 6)), bytes((1, 28, 2, 3, 15, 6, 12, 42)), bytes((66, 67, 119, 26, 1))]
SIZES = [None, b"\x02\x40", b"\x05\xdc", b"\x01\x00"]  # 576, 1500, 256 (too small: 576)


@dataclass(frozen=True)
class Step:
    client: int
    relay: IPv4Address
    params: bytes | None
    size: bytes | None
    flags: int
    cid: bool
    name: bool
    lease: bool  # ask for a lease time (option 51)
    rapid: bool  # option 80
    renew: bool  # a second REQUEST with ciaddr after the ACK
    htype: int
    agent: bool  # option 82 (echoed to a relay)


STEPS = st.builds(
    Step,
    st.integers(0, 5),
    st.sampled_from(RELAYS),
    st.sampled_from(PARAMS),
    st.sampled_from(SIZES),
    st.sampled_from([0, 0x8000]),
    st.booleans(),
    st.integers(0, 4).map(lambda n: n == 0),
    st.integers(0, 4).map(lambda n: n == 0),
    st.booleans(),
    st.booleans(),
    st.sampled_from([1, 1, 6]),
    st.booleans(),
)


def request(
    step: Step,
    mtype: MessageType,
    xid: int,
    *,
    want: IPv4Address | None = None,
    ciaddr: IPv4Address = ZERO,
) -> bytes:
    hw = bytes((2, 0, 0, 0, 7, step.client))
    opts: dict[int, bytes] = {53: bytes((mtype,))}
    if want is not None:
        opts[50] = want.packed
        opts[54] = bytes((192, 0, 2, 1))
    if step.cid:
        opts[61] = b"\x01" + hw
    if step.params is not None:
        opts[55] = step.params
    if step.size is not None:
        opts[57] = step.size
    if step.name:
        opts[12] = f"host{step.client}".encode()
    if step.lease:
        opts[51] = (600).to_bytes(4, "big")
    if step.rapid:
        opts[80] = b""
    if step.agent:
        opts[82] = b"\x01\x03c" + bytes((step.client, 9))  # circuit id: one per client
    pkt = Packet(
        BOOTREQUEST, xid, hw, htype=step.htype, flags=step.flags, ciaddr=ciaddr,
        giaddr=step.relay, hops=1 if step.relay != ZERO else 0, options=opts,
    )  # fmt: skip
    return encode_packet(pkt, max_size=1500)


def feed(eng: Dhcp4Engine, data: bytes, now: float) -> list[Effect]:
    return eng.on_datagram(Inbound(data, ("0.0.0.0", 68), "veth0", ADDRS), now)


def plain(effects: list[Effect]) -> list[object]:
    """Effects as comparable values (a Send's payload whether it came encoded or not)."""
    return [(e.dest, e.payload, e.iface, e.hwaddr) if isinstance(e, Send) else e for e in effects]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(EXTRAS), unique=True, max_size=6),
    st.lists(STEPS, min_size=1, max_size=12),
)
def test_template_copies_are_the_general_replies(extras: list[str], steps: list[Step]) -> None:
    cfg = load(["-C", "/dev/null", *BASE, *extras])
    general = Dhcp4Engine(cfg.dhcp4, rng=random.Random(0), dns_enabled=True)
    general.prebuilt.enabled = False
    copied = Dhcp4Engine(cfg.dhcp4, rng=random.Random(0), dns_enabled=True)
    now = T0
    for n, step in enumerate(steps):
        now += 1
        xid = 1000 + n
        one = feed(general, request(step, MessageType.DHCPDISCOVER, xid), now)
        two = feed(copied, request(step, MessageType.DHCPDISCOVER, xid), now)
        assert plain(two) == plain(one)
        sent = [e for e in one if isinstance(e, Send)]
        if not sent:
            continue
        offer = decode_packet(sent[0].payload)
        if offer.message_type is not MessageType.DHCPOFFER:
            continue  # rapid commit: already an ACK
        data = request(step, MessageType.DHCPREQUEST, xid + 1, want=offer.yiaddr)
        one, two = feed(general, data, now), feed(copied, data, now)
        assert plain(two) == plain(one)
        if step.renew:
            data = request(step, MessageType.DHCPREQUEST, xid + 2, ciaddr=offer.yiaddr)
            one, two = feed(general, data, now + 1), feed(copied, data, now + 1)
            assert plain(two) == plain(one)


def test_a_second_client_on_the_link_gets_a_copy_with_its_own_header() -> None:
    cfg = load(["-C", "/dev/null", *BASE])
    eng = Dhcp4Engine(cfg.dhcp4, rng=random.Random(0))
    first = Step(1, ZERO, PARAMS[2], None, 0, True, False, False, False, False, 1, False)
    second = Step(2, ZERO, PARAMS[2], None, 0x8000, False, False, False, False, False, 1, False)
    feed(eng, request(first, MessageType.DHCPDISCOVER, 7), T0)
    calls: list[Encoded | None] = []
    real = eng.prebuilt.get

    def spy(*args: object) -> Encoded | None:
        calls.append(real(*args))  # type: ignore[arg-type]
        return calls[-1]

    eng.prebuilt.get = spy  # type: ignore[method-assign,assignment]
    out = feed(eng, request(second, MessageType.DHCPDISCOVER, 8), T0)
    assert calls and isinstance(calls[0], Encoded)  # the template of the first client's OFFER
    offer = decode_packet(next(e for e in out if isinstance(e, Send)).payload)
    assert offer.xid == 8 and offer.flags == 0x8000 and offer.mac == bytes((2, 0, 0, 0, 7, 2))
    assert offer.ciaddr == ZERO and offer.yiaddr != ZERO
