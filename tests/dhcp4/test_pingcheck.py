"""The ping check before an offer (lanctl.dhcp4.pingcheck through the engine), no sockets."""

from __future__ import annotations

from ipaddress import IPv4Address as A

from lanctl.dhcp4.effects import Probe
from lanctl.dhcp4.pingcheck import MAX_RECENT, PING_CACHE_TIME
from lanctl.dhcp4.wire import MessageType
from tests.dhcp4.helpers import T0, dora, engine, feed, logs, mac, one_reply, packet, replies

D = MessageType.DHCPDISCOVER
RANGE = "--dhcp-range=192.0.2.50,192.0.2.99,12h"
SEQ = "--dhcp-sequential-ip"


def probes(effects: list[object]) -> list[A]:
    return [e.addr for e in effects if isinstance(e, Probe)]


def test_discover_waits_for_the_ping_then_offers_the_silent_address() -> None:
    eng = engine(RANGE, SEQ, ping=True)
    eff = feed(eng, packet(D, mac(1)))
    assert probes(eff) == [A("192.0.2.50")] and replies(eff) == [] and logs(eff) == []
    assert feed(eng, packet(D, mac(1), xid=2), T0 + 1) == []  # retransmission: still waiting
    eff = eng.on_probe_result(A("192.0.2.50"), False, T0 + 3)
    offer = one_reply(eff)
    assert offer.yiaddr == A("192.0.2.50") and offer.xid == 2  # the latest DISCOVER's xid
    assert logs(eff) == [
        "DHCPDISCOVER(veth0) 02:00:00:00:00:01 ",
        "DHCPOFFER(veth0) 192.0.2.50 02:00:00:00:00:01 ",
    ]
    assert eng.on_probe_result(A("192.0.2.50"), False, T0 + 4) == []  # nothing waits any more


def test_an_answered_ping_moves_the_offer_to_another_address() -> None:
    eng = engine(RANGE, SEQ, ping=True)
    assert probes(feed(eng, packet(D, mac(1)))) == [A("192.0.2.50")]
    eff = eng.on_probe_result(A("192.0.2.50"), True, T0 + 0.1)
    assert probes(eff) == [A("192.0.2.51")] and replies(eff) == []
    offer = one_reply(eng.on_probe_result(A("192.0.2.51"), False, T0 + 3.1))
    assert offer.yiaddr == A("192.0.2.51")
    # The address in use is skipped by the next client too, for PING_CACHE_TIME.
    assert probes(feed(eng, packet(D, mac(2)), T0 + 4)) == [A("192.0.2.52")]
    assert eng.stats()["ping_in_use"] == 1


def test_the_request_goes_on_after_the_offer_without_a_new_ping() -> None:
    eng = engine(RANGE, SEQ, ping=True)
    feed(eng, packet(D, mac(1)))
    offer = one_reply(eng.on_probe_result(A("192.0.2.50"), False, T0 + 3))
    # A second DISCOVER for the address it was offered: no second ping.
    again = feed(eng, packet(D, mac(1)), T0 + 5)
    assert probes(again) == [] and one_reply(again).yiaddr == offer.yiaddr


def test_host_address_and_own_lease_are_never_pinged() -> None:
    eng = engine(RANGE, "--dhcp-host=02:00:00:00:00:07,192.0.2.77", ping=True)
    eff = feed(eng, packet(D, mac(7)))
    assert probes(eff) == [] and one_reply(eff).yiaddr == A("192.0.2.77")
    eng = engine(RANGE, SEQ, "--no-ping")
    ack = dora(eng, mac(1))
    eng.ping.enabled = True  # the lease exists; a later DISCOVER gets it back unpinged
    eff = feed(eng, packet(D, mac(1)), T0 + 10)
    assert probes(eff) == [] and one_reply(eff).yiaddr == ack.yiaddr


def test_requested_address_is_pinged() -> None:
    eng = engine(RANGE, ping=True)
    eff = feed(eng, packet(D, mac(1), requested=A("192.0.2.90")))
    assert probes(eff) == [A("192.0.2.90")]


def test_high_load_mode_offers_without_pinging_as_dnsmasq() -> None:
    eng = engine(RANGE, SEQ, ping=True)
    for n in range(MAX_RECENT):
        assert len(probes(feed(eng, packet(D, mac(n + 1)), T0 + n))) == 1
    eff = feed(eng, packet(D, mac(50)), T0 + MAX_RECENT)
    assert probes(eff) == [] and one_reply(eff).message_type is MessageType.DHCPOFFER
    later = T0 + MAX_RECENT + PING_CACHE_TIME + 1  # the window slid: pings again
    assert len(probes(feed(eng, packet(D, mac(51)), later))) == 1


def test_no_ping_never_probes() -> None:
    eng = engine(RANGE, SEQ)
    eff = feed(eng, packet(D, mac(1)))
    assert probes(eff) == [] and one_reply(eff).yiaddr == A("192.0.2.50")
