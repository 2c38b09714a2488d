"""The DHCPv4 engine without sockets, in fixed time: DORA, renew, reboot, release, decline..."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lanctl.dhcp4.engine import DECLINE_BACKOFF, OFFER_HOLD
from lanctl.dhcp4.wire import BROADCAST_FLAG, MessageType, Opt
from lanctl.store.lease import Lease4
from tests.dhcp4.helpers import (
    SERVER,
    T0,
    changes,
    dora,
    engine,
    feed,
    logs,
    mac,
    one_reply,
    packet,
    replies,
    sends,
)

D, R = MessageType.DHCPDISCOVER, MessageType.DHCPREQUEST
RANGE = "--dhcp-range=192.0.2.50,192.0.2.99,12h"
A = IPv4Address
DATA = Path(__file__).resolve().parents[1] / "data" / "dhcp4"


def test_dora_offers_dnsmasqs_hash_address_and_acks_with_lease_options() -> None:
    eng = engine(RANGE)
    hw = bytes.fromhex("020000000102")
    eff = feed(eng, packet(D, hw))
    offer = one_reply(eff)
    # Real dnsmasq 2.90 offered 192.0.2.63 to this MAC with this range (tests/dhcp4/test_compat.py).
    assert offer.yiaddr == A("192.0.2.63") and offer.message_type is MessageType.DHCPOFFER
    assert logs(eff) == [
        "DHCPDISCOVER(veth0) 02:00:00:00:01:02 ",
        "DHCPOFFER(veth0) 192.0.2.63 02:00:00:00:01:02 ",
    ]
    assert changes(eff) == []
    eff = feed(eng, packet(R, hw, requested=offer.yiaddr, server=SERVER, hostname="box"))
    ack = one_reply(eff)
    assert ack.message_type is MessageType.DHCPACK and ack.yiaddr == A("192.0.2.63")
    o = ack.options
    assert o[Opt.LEASE_TIME] == (43200).to_bytes(4, "big")
    assert o[Opt.T1] == (21600).to_bytes(4, "big") and o[Opt.T2] == (37800).to_bytes(4, "big")
    assert o[Opt.SERVER_ID] == SERVER.packed and o[Opt.NETMASK] == A("255.255.255.0").packed
    assert o[Opt.BROADCAST] == A("192.0.2.255").packed and ack.siaddr == SERVER
    assert changes(eff) == [("add", A("192.0.2.63"))]
    assert logs(eff)[-1] == "DHCPACK(veth0) 192.0.2.63 02:00:00:00:01:02 box"
    assert eng.leases[A("192.0.2.63")].hostname == "box"
    assert eng.leases[A("192.0.2.63")].expires == int(T0) + 43200


def test_lease_change_comes_before_the_reply_it_grants() -> None:
    eng = engine(RANGE)
    offer = one_reply(feed(eng, packet(D, mac(1))))
    eff = feed(eng, packet(R, mac(1), requested=offer.yiaddr, server=SERVER))
    kinds = [type(e).__name__ for e in eff]
    assert kinds.index("LeaseChanged") < kinds.index("Send")


def test_reply_delivery_unicast_broadcast_flag_and_relay() -> None:
    eng = engine(RANGE, "--dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0")
    (send,) = sends(feed(eng, packet(D, mac(1))))
    assert send.hwaddr == mac(1) and send.dest == (str(one_reply([send]).yiaddr), 68)
    (send,) = sends(feed(eng, packet(D, mac(2), flags=BROADCAST_FLAG)))
    assert send.dest == ("255.255.255.255", 68) and send.hwaddr is None
    agent = b"\x01\x03abc\x02\x02xy"
    eff = feed(eng, packet(D, mac(3), giaddr=A("198.51.100.1"), extra={82: agent}))
    (send,) = sends(eff)
    offer = one_reply(eff)
    assert send.dest == ("198.51.100.1", 67)
    assert A("198.51.100.10") <= offer.yiaddr <= A("198.51.100.20")
    assert offer.options[82] == agent
    assert offer.options[Opt.ROUTER] == A("198.51.100.1").packed  # giaddr, as dnsmasq


def test_router_and_dns_only_when_requested_and_dns_only_when_dns_runs() -> None:
    eng = engine(RANGE, dns=True)
    offer = one_reply(feed(eng, packet(D, mac(1), params=bytes([1, 3, 6]))))
    assert offer.options[Opt.ROUTER] == SERVER.packed
    assert offer.options[Opt.DNS_SERVER] == SERVER.packed
    offer = one_reply(feed(eng, packet(D, mac(2), params=bytes([1]))))
    assert Opt.ROUTER not in offer.options and Opt.DNS_SERVER not in offer.options
    eng = engine(RANGE, dns=False)
    offer = one_reply(feed(eng, packet(D, mac(1), params=bytes([1, 3, 6]))))
    assert Opt.DNS_SERVER not in offer.options and Opt.ROUTER in offer.options


def test_configured_options_tags_force_and_parameter_list() -> None:
    eng = engine(
        RANGE,
        "--dhcp-option=option:router,192.0.2.254",
        "--dhcp-option=option:ntp-server,192.0.2.5,0.0.0.0",
        "--dhcp-option=tag:lab,option:ntp-server,192.0.2.7",
        "--dhcp-option-force=option:mtu,1400",
        "--dhcp-option=240,01:02:03",
        "--dhcp-host=02:00:00:00:00:09,set:lab",
        "--domain=example.test",
    )
    offer = one_reply(feed(eng, packet(D, mac(1), params=bytes([3, 15, 42, 240]))))
    o = offer.options
    assert o[Opt.ROUTER] == A("192.0.2.254").packed
    assert o[42] == A("192.0.2.5").packed + SERVER.packed  # 0.0.0.0 means this server
    assert o[26] == (1400).to_bytes(2, "big") and o[240] == b"\x01\x02\x03"
    assert o[Opt.DOMAIN_NAME] == b"example.test"
    offer = one_reply(feed(eng, packet(D, mac(1), params=bytes([3]))))
    assert 42 not in offer.options and 26 in offer.options  # not asked / forced
    tagged = one_reply(feed(eng, packet(D, bytes.fromhex("020000000009"), params=bytes([42]))))
    assert tagged.options[42] == A("192.0.2.7").packed  # the tag:lab line wins
    everything = one_reply(feed(eng, packet(D, mac(3))))  # no option 55: send all
    assert {3, 26, 42, 240} <= set(everything.options)


def test_concurrent_discovers_get_distinct_reserved_addresses() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.51,12h")
    want = A("192.0.2.50")
    first = one_reply(feed(eng, packet(D, mac(1), requested=want)))
    second = one_reply(feed(eng, packet(D, mac(2), requested=want)))
    assert first.yiaddr == want and second.yiaddr == A("192.0.2.51")
    third = feed(eng, packet(D, mac(3)))
    assert replies(third) == []
    assert logs(third) == ["DHCPDISCOVER(veth0) 02:00:00:00:00:03 no address available"]
    # Both REQUESTs succeed: no NAK race as with dnsmasq, whose offers reserve nothing.
    for hw, offer in ((mac(2), second), (mac(1), first)):
        ack = one_reply(feed(eng, packet(R, hw, requested=offer.yiaddr, server=SERVER)))
        assert ack.message_type is MessageType.DHCPACK and ack.yiaddr == offer.yiaddr
    # The hold ends: an unclaimed offer frees its address.
    eng2 = engine("--dhcp-range=192.0.2.50,192.0.2.50,12h")
    assert one_reply(feed(eng2, packet(D, mac(1)))).yiaddr == want
    assert replies(feed(eng2, packet(D, mac(2)))) == []
    assert one_reply(feed(eng2, packet(D, mac(2)), T0 + OFFER_HOLD + 1)).yiaddr == want


def test_same_client_gets_the_same_offer_and_its_lease_back() -> None:
    eng = engine(RANGE)
    first = one_reply(feed(eng, packet(D, mac(1))))
    assert one_reply(feed(eng, packet(D, mac(1), xid=2))).yiaddr == first.yiaddr
    ack = dora(eng, mac(1))
    assert ack.yiaddr == first.yiaddr
    assert one_reply(feed(eng, packet(D, mac(1), xid=3), T0 + 100)).yiaddr == first.yiaddr


def test_renewing_extends_the_lease() -> None:
    eng = engine(RANGE)
    addr = dora(eng, mac(1)).yiaddr
    eff = feed(eng, packet(R, mac(1), ciaddr=addr), T0 + 1000)
    ack = one_reply(eff)
    assert ack.message_type is MessageType.DHCPACK and ack.yiaddr == addr and ack.ciaddr == addr
    assert changes(eff) == [("old", addr)]
    assert eng.leases[addr].expires == int(T0) + 1000 + 43200
    assert sends(eff)[0].dest == (str(addr), 68)


def test_init_reboot_unknown_client_silent_unless_authoritative() -> None:
    want = A("192.0.2.70")
    quiet = engine(RANGE)
    assert feed(quiet, packet(R, mac(1), requested=want)) == []
    auth = engine(RANGE, "--dhcp-authoritative")
    ack = one_reply(feed(auth, packet(R, mac(1), requested=want)))
    assert ack.message_type is MessageType.DHCPACK and ack.yiaddr == want
    nak = one_reply(feed(auth, packet(R, mac(2), requested=A("203.0.113.5"))))
    assert nak.message_type is MessageType.DHCPNAK and nak.options[56] == b"wrong network"
    assert nak.yiaddr == A("0.0.0.0")


def test_init_reboot_known_client_wrong_address_is_naked_and_right_one_acked() -> None:
    eng = engine(RANGE)
    addr = dora(eng, mac(1)).yiaddr
    other = A("192.0.2.98") if addr != A("192.0.2.98") else A("192.0.2.97")
    eff = feed(eng, packet(R, mac(1), requested=other))
    nak = one_reply(eff)
    assert nak.message_type is MessageType.DHCPNAK and nak.options[56] == b"wrong address"
    assert sends(eff)[0].dest == ("255.255.255.255", 68)
    assert one_reply(feed(eng, packet(R, mac(1), requested=addr))).message_type is (
        MessageType.DHCPACK
    )


def test_request_for_an_address_held_by_another_client_is_naked() -> None:
    eng = engine(RANGE, "--dhcp-authoritative")
    addr = dora(eng, mac(1)).yiaddr
    nak = one_reply(feed(eng, packet(R, mac(2), requested=addr, server=SERVER)))
    assert nak.message_type is MessageType.DHCPNAK and nak.options[56] == b"address in use"


def test_request_to_another_server_releases_our_offer() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.50,12h")
    offer = one_reply(feed(eng, packet(D, mac(1))))
    assert feed(eng, packet(R, mac(1), requested=offer.yiaddr, server=A("192.0.2.2"))) == []
    assert one_reply(feed(eng, packet(D, mac(2)))).yiaddr == offer.yiaddr


def test_release_removes_the_lease_and_checks_the_client() -> None:
    eng = engine(RANGE)
    addr = dora(eng, mac(1)).yiaddr
    eff = feed(eng, packet(MessageType.DHCPRELEASE, mac(2), ciaddr=addr, server=SERVER))
    assert changes(eff) == [] and logs(eff) == [
        f"DHCPRELEASE(veth0) {addr} 02:00:00:00:00:02 unknown lease"
    ]
    eff = feed(eng, packet(MessageType.DHCPRELEASE, mac(1), ciaddr=addr, server=SERVER))
    assert changes(eff) == [("del", addr)] and replies(eff) == []
    assert logs(eff) == [f"DHCPRELEASE(veth0) {addr} 02:00:00:00:00:01 "]
    assert addr not in eng.leases


def test_decline_quarantines_the_address() -> None:
    eng = engine(RANGE)
    addr = dora(eng, mac(1)).yiaddr
    eff = feed(eng, packet(MessageType.DHCPDECLINE, mac(1), requested=addr, server=SERVER))
    assert changes(eff) == [("del", addr)]
    again = one_reply(feed(eng, packet(D, mac(1)), T0 + 1))
    assert again.yiaddr != addr
    other = one_reply(feed(eng, packet(D, mac(5), requested=addr), T0 + 2))
    assert other.yiaddr != addr
    later = T0 + DECLINE_BACKOFF + OFFER_HOLD + 10
    assert one_reply(feed(eng, packet(D, mac(6), requested=addr), later)).yiaddr == addr


def test_every_decline_gets_a_distinct_offer_without_looping() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.54,12h")
    seen = []
    for n in range(5):
        offer = one_reply(feed(eng, packet(D, mac(1), xid=n), T0 + n))
        seen.append(offer.yiaddr)
        feed(eng, packet(MessageType.DHCPDECLINE, mac(1), requested=offer.yiaddr, server=SERVER))
    assert len(set(seen)) == 5
    assert replies(feed(eng, packet(D, mac(1), xid=9), T0 + 9)) == []


def test_expiry_at_the_deadline_in_virtual_time() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.99,2m")
    addr = dora(eng, mac(1)).yiaddr
    assert eng.next_deadline() == int(T0) + 120
    assert eng.on_timer(T0 + 119) == []
    eff = eng.on_timer(T0 + 120)
    assert changes(eff) == [("del", addr)] and addr not in eng.leases
    assert eng.next_deadline() is None


def test_renewed_lease_does_not_expire_at_the_old_deadline() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.99,2m")
    addr = dora(eng, mac(1)).yiaddr
    feed(eng, packet(R, mac(1), ciaddr=addr), T0 + 60)
    assert eng.on_timer(T0 + 120) == []
    assert changes(eng.on_timer(T0 + 180)) == [("del", addr)]


def test_reservation_by_mac_client_id_and_name() -> None:
    eng = engine(
        "--dhcp-range=192.0.2.50,192.0.2.51,12h",
        "--dhcp-host=02:00:00:00:00:09,192.0.2.20,fixed,infinite",
        "--dhcp-host=id:01:02:03,192.0.2.21",
        "--dhcp-host=printer,192.0.2.22",
        "--dhcp-host=02:00:00:00:00:*,192.0.2.51",
    )
    ack = dora(eng, bytes.fromhex("020000000009"), params=bytes([12]))
    assert ack.yiaddr == A("192.0.2.20") and ack.options[Opt.HOSTNAME] == b"fixed"
    assert ack.options[Opt.LEASE_TIME] == b"\xff\xff\xff\xff" and Opt.T1 not in ack.options
    lease = eng.leases[A("192.0.2.20")]
    assert lease.expires == 0 and lease.hostname == "fixed"
    assert dora(eng, mac(0x107), client_id=b"\x01\x02\x03").yiaddr == A("192.0.2.21")
    assert dora(eng, mac(0x108), hostname="printer").yiaddr == A("192.0.2.22")
    assert dora(eng, mac(0x10)).yiaddr == A("192.0.2.51")  # wildcard MAC reservation
    # 192.0.2.51 is reserved: a dynamic client only gets .50; the next one nothing.
    assert dora(eng, mac(0x201)).yiaddr == A("192.0.2.50")
    assert replies(feed(eng, packet(D, mac(0x202)))) == []


def test_ignored_host_gets_no_answer() -> None:
    eng = engine(RANGE, "--dhcp-host=02:00:00:00:00:01,ignore")
    eff = feed(eng, packet(D, mac(1)))
    assert replies(eff) == [] and logs(eff) == ["DHCPDISCOVER(veth0) 02:00:00:00:00:01 ignored"]


def test_pool_exhaustion_does_not_affect_renewals() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.51,12h")
    got = [dora(eng, mac(n)).yiaddr for n in (1, 2)]
    assert replies(feed(eng, packet(D, mac(3)))) == []
    ack = one_reply(feed(eng, packet(R, mac(1), ciaddr=got[0]), T0 + 10))
    assert ack.message_type is MessageType.DHCPACK


def test_lease_max_limits_new_clients_only() -> None:
    eng = engine(RANGE, "--dhcp-lease-max=1")
    addr = dora(eng, mac(1)).yiaddr
    assert replies(feed(eng, packet(D, mac(2)))) == []
    assert one_reply(feed(eng, packet(D, mac(1)))).yiaddr == addr


def test_sequential_allocation() -> None:
    eng = engine(RANGE, "--dhcp-sequential-ip")
    assert [dora(eng, mac(n)).yiaddr for n in (1, 2, 3)] == [
        A("192.0.2.50"),
        A("192.0.2.51"),
        A("192.0.2.52"),
    ]


def test_inform_gets_options_without_a_lease() -> None:
    eng = engine(RANGE, "--dhcp-option=option:ntp-server,192.0.2.5")
    addr = A("192.0.2.30")
    eff = feed(eng, packet(MessageType.DHCPINFORM, mac(1), ciaddr=addr, params=bytes([42])))
    ack = one_reply(eff)
    assert ack.message_type is MessageType.DHCPACK and ack.yiaddr == A("0.0.0.0")
    assert ack.ciaddr == addr and Opt.LEASE_TIME not in ack.options and ack.options[42]
    assert sends(eff)[0].dest == (str(addr), 68) and changes(eff) == []


def test_shorter_requested_lease_is_honoured_with_a_two_minute_floor() -> None:
    eng = engine(RANGE)
    offer = one_reply(feed(eng, packet(D, mac(1), extra={51: (600).to_bytes(4, "big")})))
    assert offer.options[Opt.LEASE_TIME] == (600).to_bytes(4, "big")
    offer = one_reply(feed(eng, packet(D, mac(2), extra={51: (5).to_bytes(4, "big")})))
    assert offer.options[Opt.LEASE_TIME] == (120).to_bytes(4, "big")


def test_dhcp_boot_and_max_message_size() -> None:
    eng = engine(
        RANGE, "--dhcp-boot=pxelinux.0,bootsrv,192.0.2.9", "--dhcp-option=240," + "x" * 250
    )
    offer = one_reply(feed(eng, packet(D, mac(1))))
    assert offer.file == b"pxelinux.0" and offer.sname == b"bootsrv"
    assert offer.siaddr == A("192.0.2.9") and 240 in offer.options
    sized = feed(eng, packet(D, mac(2), extra={57: (576).to_bytes(2, "big")}))
    data = sends(sized)[0].payload
    assert len(data) <= 576 - 28


def test_quiet_and_log_dhcp() -> None:
    quiet = engine(RANGE, "--quiet-dhcp")
    assert logs(feed(quiet, packet(D, mac(1)))) == []
    loud = engine(RANGE, "--log-dhcp")
    lines = logs(feed(loud, packet(D, mac(1), xid=4242)))
    assert lines[0] == "4242 DHCPDISCOVER(veth0) 02:00:00:00:00:01 "
    assert "4242 tags: veth0" in lines


def test_malformed_dropped_and_bootp_without_address_unanswered() -> None:
    eng = engine(RANGE)
    import pytest

    from lanctl.errors import DecodeError

    with pytest.raises(DecodeError):
        feed(eng, b"\x01" * 100)
    bootp = bytearray(packet(D, mac(1)))
    bootp[240:243] = b"\x00\x00\x00"  # option 53 padded away: plain BOOTP
    eff = feed(eng, bytes(bootp))  # dnsmasq 2.90: logged, no reply, no lease
    assert replies(eff) == [] and changes(eff) == []
    assert logs(eff) == ["BOOTP(veth0) 02:00:00:00:00:01 no address configured"]


def test_no_range_on_this_link() -> None:
    eng = engine("--dhcp-range=198.51.100.10,198.51.100.20,12h")
    assert replies(feed(eng, packet(D, mac(1)))) == []


def test_leases_loaded_at_start_are_honoured() -> None:
    held = Lease4(A("192.0.2.60"), mac(1), expires=int(T0) + 500)
    eng = engine(RANGE, leases=[held])
    assert one_reply(feed(eng, packet(D, mac(1)))).yiaddr == A("192.0.2.60")
    assert one_reply(feed(eng, packet(D, mac(2), requested=A("192.0.2.60")))).yiaddr != A(
        "192.0.2.60"
    )
    assert eng.next_deadline() == int(T0) + 500


def test_golden_client_discovers_get_offers_with_what_they_asked_for() -> None:
    for path in sorted(DATA.glob("*-0-dhcpdiscover.hex")):
        eng = engine(RANGE, "--domain=example.test", dns=True)
        offer = one_reply(feed(eng, bytes.fromhex(path.read_text())))
        assert offer.message_type is MessageType.DHCPOFFER, path.name
        assert {Opt.ROUTER, Opt.DNS_SERVER, Opt.DOMAIN_NAME} <= set(offer.options), path.name


def test_dhcp_broadcast_tag_forces_broadcast_replies() -> None:
    eng = engine(RANGE, "--dhcp-host=02:00:00:00:00:01,set:bcast", "--dhcp-broadcast=tag:bcast")
    (send,) = sends(feed(eng, packet(D, mac(1))))
    assert send.dest == ("255.255.255.255", 68) and send.hwaddr is None
    (send,) = sends(feed(eng, packet(D, mac(2))))
    assert send.hwaddr == mac(2)


def test_tag_if_and_range_tags_select_options() -> None:
    eng = engine(
        "--dhcp-range=set:lan,192.0.2.50,192.0.2.99,12h",
        "--tag-if=set:office,tag:lan,tag:known",
        "--dhcp-host=02:00:00:00:00:01,set:printer",
        "--dhcp-option=tag:office,option:ntp-server,192.0.2.5",
        "--dhcp-option=tag:veth0,tag:!printer,option:log-server,192.0.2.6",
    )
    known = one_reply(feed(eng, packet(D, mac(1)))).options
    assert known[42] == A("192.0.2.5").packed and 7 not in known
    unknown = one_reply(feed(eng, packet(D, mac(2)))).options
    assert 42 not in unknown and unknown[7] == A("192.0.2.6").packed


def test_expired_lease_taken_over_by_another_client_is_no_longer_the_old_clients() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.50,2m")
    addr = dora(eng, mac(1)).yiaddr
    later = T0 + 500  # expired, the timer has not run yet
    assert dora(eng, mac(2), later).yiaddr == addr
    assert eng.client_lease(None, 1, mac(1)) is None
    assert eng.client_lease(None, 1, mac(2)) == eng.leases[addr]
    # The old client's RELEASE must not delete the new client's lease.
    eff = feed(eng, packet(MessageType.DHCPRELEASE, mac(1), ciaddr=addr, server=SERVER), later)
    assert changes(eff) == [] and addr in eng.leases


_KEY_OPTIONS = (12, 50, 51, 54, 55, 57, 61, 82)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(list(MessageType)),
    st.binary(min_size=0, max_size=16),
    st.dictionaries(st.sampled_from(_KEY_OPTIONS), st.binary(max_size=20), max_size=6),
    st.sampled_from([0, 0x8000]),
    st.sampled_from(["0.0.0.0", "192.0.2.60", "198.51.100.1", "255.255.255.255"]),
    st.sampled_from(["0.0.0.0", "192.0.2.70"]),
)
def test_fuzz_engine_never_raises(
    mtype: MessageType, hw: bytes, extra: dict[int, bytes], flags: int, giaddr: str, ciaddr: str
) -> None:
    eng = engine(
        "--dhcp-range=192.0.2.50,192.0.2.99,2m",
        "--dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0",
        "--dhcp-host=02:00:00:00:00:01,192.0.2.20,fixed",
        "--dhcp-authoritative",
    )
    hw = hw.ljust(6, b"\x02")[:16]
    data = packet(mtype, hw, flags=flags, giaddr=A(giaddr), ciaddr=A(ciaddr), extra=extra)
    for step in range(3):  # repeat: later steps see the state the earlier ones left
        feed(eng, data, T0 + step * 100)
    eng.on_timer(T0 + 10_000)


def test_file_hosts_win_over_config_hosts_and_can_be_replaced() -> None:
    from lanctl.dhcp4.hostfiles import parse_hostsfile

    eng = engine(RANGE, "--dhcp-host=02:00:00:00:00:01,192.0.2.20")
    hosts, _ = parse_hostsfile("02:00:00:00:00:01,192.0.2.21\n02:00:00:00:00:02,192.0.2.22\n", "f")
    eng.set_file_hosts(hosts)
    # dnsmasq searches newest first: the file line wins (tests/dhcp4/test_hosts_order_compat.py)
    assert one_reply(feed(eng, packet(D, mac(1)))).yiaddr == A("192.0.2.21")
    assert one_reply(feed(eng, packet(D, mac(2)))).yiaddr == A("192.0.2.22")
    eng.set_file_hosts(parse_hostsfile("02:00:00:00:00:02,192.0.2.23\n", "f")[0])
    assert one_reply(feed(eng, packet(D, mac(2), xid=2))).yiaddr == A("192.0.2.23")


def test_dhcp_ignore_clid_identifies_clients_by_mac() -> None:
    eng = engine(RANGE, "--dhcp-ignore-clid")
    ack = dora(eng, mac(1), client_id=b"\x01\x02")
    assert eng.leases[ack.yiaddr].client_id is None
    # Another client-id from the same MAC is the same client.
    again = one_reply(feed(eng, packet(D, mac(1), client_id=b"\x09", xid=5)))
    assert again.yiaddr == ack.yiaddr
    plain = engine(RANGE)
    ack = dora(plain, mac(1), client_id=b"\x01\x02")
    assert plain.leases[ack.yiaddr].client_id == b"\x01\x02"


def test_file_options_are_used_and_replaced() -> None:
    from lanctl.dhcp4.hostfiles import parse_optsfile

    eng = engine(RANGE, "--dhcp-option=option:ntp-server,192.0.2.5")
    eng.set_file_options(parse_optsfile("option:mtu,1400\n", "f")[0])
    offer = one_reply(feed(eng, packet(D, mac(1), params=bytes([26, 42]))))
    assert offer.options[26] == (1400).to_bytes(2, "big") and 42 in offer.options
    eng.set_file_options(())
    offer = one_reply(feed(eng, packet(D, mac(1), params=bytes([26, 42]), xid=2)))
    assert 26 not in offer.options and 42 in offer.options
