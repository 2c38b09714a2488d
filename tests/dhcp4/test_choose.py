"""Offers held for a client, and their expiry (lanctl/dhcp4/choose.py), through the engine."""

from __future__ import annotations

from ipaddress import IPv4Address

from lanctl.dhcp4.choose import OFFER_HOLD
from lanctl.dhcp4.wire import MessageType
from tests.dhcp4.helpers import T0, engine, feed, mac, one_reply, packet

RANGE = "--dhcp-range=192.0.2.10,192.0.2.20,12h"


def offer(eng: object, n: int, now: float) -> IPv4Address:
    got = one_reply(feed(eng, packet(MessageType.DHCPDISCOVER, mac(n), xid=n), now))  # type: ignore[arg-type]
    assert got.message_type is MessageType.DHCPOFFER
    return got.yiaddr


def test_an_offer_is_held_until_it_runs_out_then_forgotten() -> None:
    eng = engine(RANGE)
    addr = offer(eng, 1, T0)
    eng.on_timer(T0 + OFFER_HOLD - 1)
    assert addr in eng.choice.offers
    eng.on_timer(T0 + OFFER_HOLD)
    assert eng.choice.offers == {} and eng.choice.offer_of == {}


def test_a_renewed_offer_survives_the_expiry_of_the_first() -> None:
    eng = engine(RANGE)
    addr = offer(eng, 1, T0)
    assert offer(eng, 1, T0 + 30) == addr  # the retransmitted DISCOVER: same address, held anew
    eng.on_timer(T0 + OFFER_HOLD)  # the first hold runs out, the second does not
    assert addr in eng.choice.offers and len(eng.choice.offer_of) == 1
    eng.on_timer(T0 + 30 + OFFER_HOLD)
    assert eng.choice.offers == {} and eng.choice.offer_of == {}


def test_an_address_acked_is_no_longer_offered_and_its_client_entry_goes() -> None:
    eng = engine(RANGE)
    addr = offer(eng, 1, T0)
    req = packet(
        MessageType.DHCPREQUEST, mac(1), xid=1, requested=addr, server=IPv4Address("192.0.2.1")
    )
    assert one_reply(feed(eng, req, T0)).message_type is MessageType.DHCPACK
    assert addr not in eng.choice.offers
    eng.on_timer(T0 + OFFER_HOLD)
    assert eng.choice.offer_of == {}
    assert offer(eng, 2, T0 + OFFER_HOLD) != addr  # leased: another client gets another one
