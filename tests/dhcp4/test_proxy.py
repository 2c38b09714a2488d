"""Server-id override for relayed requests: --dhcp-proxy and RFC 5107 (engine, no sockets)."""

from __future__ import annotations

from ipaddress import IPv4Address as A

from lanctl.dhcp4.wire import MessageType, Opt
from tests.dhcp4.helpers import engine, feed, mac, one_reply, packet, replies

D, R = MessageType.DHCPDISCOVER, MessageType.DHCPREQUEST
RANGE = "--dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0,1h"
RELAY = A("198.51.100.1")
SERVER = A("192.0.2.1")


def offer_sid(*options: str, extra: dict[int, bytes] | None = None) -> A:
    eng = engine(RANGE, *options)
    offer = one_reply(feed(eng, packet(D, mac(1), giaddr=RELAY, extra=extra)))
    return A(offer.options[Opt.SERVER_ID])


def test_without_dhcp_proxy_the_server_id_is_ours() -> None:
    assert offer_sid() == SERVER
    assert offer_sid("--dhcp-proxy=203.0.113.9") == SERVER  # another relay listed


def test_dhcp_proxy_names_the_relay_and_accepts_requests_to_it() -> None:
    assert offer_sid("--dhcp-proxy") == RELAY
    assert offer_sid("--dhcp-proxy=198.51.100.1") == RELAY
    eng = engine(RANGE, "--dhcp-proxy")
    offer = one_reply(feed(eng, packet(D, mac(1), giaddr=RELAY)))
    req = packet(R, mac(1), giaddr=RELAY, requested=offer.yiaddr, server=RELAY)
    ack = one_reply(feed(eng, req))
    assert ack.message_type is MessageType.DHCPACK and A(ack.options[Opt.SERVER_ID]) == RELAY
    # Naming our own address now means "another server": the offer is withdrawn, no reply.
    other = packet(R, mac(2), giaddr=RELAY, requested=A("198.51.100.11"), server=SERVER)
    assert replies(feed(eng, other)) == []


def test_rfc5107_sub_option_overrides_without_dhcp_proxy() -> None:
    agent = bytes([1, 2, 0, 7, 11, 4]) + A("203.0.113.5").packed
    assert offer_sid(extra={82: agent}) == A("203.0.113.5")


def test_direct_requests_are_never_overridden() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.99", "--dhcp-proxy")
    offer = one_reply(feed(eng, packet(D, mac(1))))
    assert A(offer.options[Opt.SERVER_ID]) == SERVER
