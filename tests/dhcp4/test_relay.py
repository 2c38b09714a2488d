"""The DHCPv4 relay's decisions (lanctl.dhcp4.relay), on raw BOOTP bytes."""

from __future__ import annotations

from ipaddress import IPv4Address

from lanctl.config import load
from lanctl.dhcp4.effects import Send
from lanctl.dhcp4.relay import Forward, Relay, log_line, log_lines, routes
from lanctl.dhcp4.wire import BOOTREPLY, MessageType, Packet, decode_packet, encode_packet
from tests.dhcp4.helpers import mac, packet

LOCAL = "192.0.2.1"


def relay(*lines: str) -> Relay:
    cfg = load(["-C", "/dev/null", *(f"--dhcp-relay={x}" for x in lines)])
    return Relay(routes(cfg.dhcp4.dhcp_relay, 67))


def owner(address: str) -> str | None:
    return {LOCAL: "down0"}.get(address)


def reply(**fields: object) -> bytes:
    base: dict[str, object] = {"giaddr": IPv4Address(LOCAL), "yiaddr": IPv4Address("192.0.2.60")}
    base.update(fields)
    pkt = Packet(BOOTREPLY, 7, mac(1), options={53: bytes([MessageType.DHCPOFFER])}, **base)  # type: ignore[arg-type]
    return encode_packet(pkt, max_size=1500)


def test_request_gets_giaddr_and_a_hop_and_goes_to_every_server_of_that_address() -> None:
    r = relay(f"{LOCAL},198.51.100.2", f"{LOCAL},198.51.100.3#1067", "203.0.113.1,198.51.100.9")
    assert r.relays_on(["10.9.9.9", LOCAL]) == LOCAL
    out = r.upstream(packet(MessageType.DHCPDISCOVER, mac(1)), LOCAL)
    assert [f.dest for f in out] == [("198.51.100.2", 67), ("198.51.100.3", 1067)]
    assert all(f.source == LOCAL for f in out)
    pkt = decode_packet(out[0].payload)
    assert pkt.giaddr == IPv4Address(LOCAL) and pkt.hops == 1
    assert out[0].payload[28:] == packet(MessageType.DHCPDISCOVER, mac(1))[28:]


def test_giaddr_of_an_earlier_relay_is_kept_our_own_is_a_loop() -> None:
    r = relay(f"{LOCAL},198.51.100.2")
    earlier = packet(MessageType.DHCPDISCOVER, mac(1), giaddr=IPv4Address("203.0.113.7"))
    (fwd,) = r.upstream(earlier, LOCAL)
    assert decode_packet(fwd.payload).giaddr == IPv4Address("203.0.113.7")
    ours = packet(MessageType.DHCPDISCOVER, mac(1), giaddr=IPv4Address(LOCAL))
    assert r.upstream(ours, LOCAL) == []


def test_more_than_twenty_hops_and_replies_are_not_relayed_upstream() -> None:
    r = relay(f"{LOCAL},198.51.100.2")
    raw = bytearray(packet(MessageType.DHCPDISCOVER, mac(1)))
    raw[3] = 20
    assert len(r.upstream(bytes(raw), LOCAL)) == 1
    raw[3] = 21
    assert r.upstream(bytes(raw), LOCAL) == []
    assert r.upstream(reply(), LOCAL) == []
    assert r.upstream(b"\x01short", LOCAL) == []


def test_without_a_server_the_request_is_broadcast_on_the_interface() -> None:
    (fwd,) = relay(f"{LOCAL},up0").upstream(packet(MessageType.DHCPREQUEST, mac(1)), LOCAL)
    assert fwd.iface == "up0" and fwd.dest[1] == 67
    assert log_line(fwd) == f"DHCP relay at {LOCAL} -> broadcast via up0"
    assert log_line(Forward(("198.51.100.2", 67), b"", LOCAL)) == (
        f"DHCP relay at {LOCAL} -> 198.51.100.2"
    )


def test_replies_are_delivered_like_our_own() -> None:
    r = relay(f"{LOCAL},198.51.100.2")
    unicast = r.downstream(reply(), "up0", owner)
    assert unicast == Send(("192.0.2.60", 68), reply(), "down0", hwaddr=mac(1))
    bcast = r.downstream(reply(flags=0x8000), "up0", owner)
    assert isinstance(bcast, Send) and bcast.dest == ("255.255.255.255", 68)
    assert bcast.hwaddr is None
    renew = r.downstream(reply(ciaddr=IPv4Address("192.0.2.60")), "up0", owner)
    assert isinstance(renew, Send) and renew.dest == ("192.0.2.60", 68) and renew.hwaddr is None


def test_replies_for_others_or_from_the_wrong_interface() -> None:
    r = relay(f"{LOCAL},198.51.100.2,up*")
    assert r.downstream(reply(giaddr=IPv4Address("192.0.2.9")), "up0", owner) is False
    assert r.downstream(packet(MessageType.DHCPDISCOVER, mac(1)), "up0", owner) is False
    assert r.downstream(reply(), "wan0", owner) is None  # not the relay's server interface
    assert isinstance(r.downstream(reply(), "up1", owner), Send)
    assert relay(f"{LOCAL},198.51.100.2").downstream(reply(), "x", lambda a: None) is None


def test_startup_log_lines_as_dnsmasq() -> None:
    r = relay(f"{LOCAL},198.51.100.2", f"{LOCAL},198.51.100.3,up0", f"{LOCAL},up0")
    assert log_lines(r.table) == [
        f"DHCP relay from {LOCAL} to 198.51.100.2",
        f"DHCP relay from {LOCAL} to 198.51.100.3 via up0",
        f"DHCP relay from {LOCAL} via up0",
    ]
