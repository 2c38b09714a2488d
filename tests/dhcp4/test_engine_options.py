"""Engine behaviour of dnsmasq options, in fixed time: rapid commit, reply delay, BOOTP,
boot data and dhcp-no-override, encapsulated options, option 81, shared-network, ethers.

Expected packets are what dnsmasq 2.90 sent for the same configuration and request
(recorded with tests/dhcp4/wireprobe.py; the differential cases in test_compat.py re-check
them against the real dnsmasq).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.dhcp4.filetables import FileTables
from lanctl.dhcp4.wire import BOOTREQUEST, MessageType, Packet, encode_packet
from lanctl.dns.leases import lease_names
from lanctl.store.lease import Lease4
from tests.dhcp4.helpers import (
    SERVER,
    T0,
    changes,
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
HW = bytes.fromhex("020000000102")  # dnsmasq's hash puts this MAC on 192.0.2.63
A = IPv4Address
PRL = bytes([1, 3, 6, 12, 15, 66, 67, 43, 125, 175, 81])


def opts(pkt: Packet) -> list[tuple[int, str]]:
    return [(code, value.hex()) for code, value in pkt.options.items()]


def bootp(hw: bytes = HW) -> bytes:
    return encode_packet(Packet(BOOTREQUEST, 0x4321, hw, flags=0x8000), 1500)


# ---- --dhcp-rapid-commit (RFC 4039) ---------------------------------------------------------


def test_rapid_commit_acks_a_discover_with_option_80() -> None:
    eng = engine(RANGE, "--dhcp-rapid-commit")
    eff = feed(eng, packet(D, HW, params=bytes([1, 3, 6, 12, 15, 80]), extra={80: b""}))
    ack = one_reply(eff)
    assert ack.message_type is MessageType.DHCPACK and ack.yiaddr == A("192.0.2.63")
    assert [c for c, _ in opts(ack)] == [53, 54, 51, 80, 58, 59, 1, 28, 3]  # as dnsmasq
    assert ack.options[80] == b""
    assert changes(eff) == [("add", A("192.0.2.63"))]
    assert logs(eff) == [
        "DHCPDISCOVER(veth0) 02:00:00:00:01:02 ",
        "DHCPACK(veth0) 192.0.2.63 02:00:00:00:01:02 ",
    ]
    assert eng.leases[A("192.0.2.63")].expires == int(T0) + 43200


def test_rapid_commit_needs_both_the_option_and_the_flag() -> None:
    off = engine(RANGE)
    assert (
        one_reply(feed(off, packet(D, HW, extra={80: b""}))).message_type is MessageType.DHCPOFFER
    )
    on = engine(RANGE, "--dhcp-rapid-commit")
    offer = one_reply(feed(on, packet(D, HW)))
    assert offer.message_type is MessageType.DHCPOFFER and 80 not in offer.options
    assert on.leases == {}


# ---- --dhcp-reply-delay ---------------------------------------------------------------------


def test_reply_delay_holds_the_offer_until_its_deadline() -> None:
    eng = engine(RANGE, "--dhcp-reply-delay=2")
    eff = feed(eng, packet(D, HW))
    assert sends(eff) == [] and logs(eff)[-1].startswith("DHCPOFFER(veth0) 192.0.2.63")
    assert eng.next_deadline() == T0 + 2
    assert eng.on_timer(T0 + 1.9) == []
    offer = one_reply(eng.on_timer(T0 + 2))
    assert offer.message_type is MessageType.DHCPOFFER and offer.yiaddr == A("192.0.2.63")
    assert eng.next_deadline() is None and eng.on_timer(T0 + 5) == []


def test_reply_delay_counts_from_arrival_and_spares_requests() -> None:
    eng = engine(RANGE, "--dhcp-reply-delay=3")
    feed(eng, packet(D, HW), now=T0)
    eff = feed(eng, packet(R, HW, requested=A("192.0.2.63"), server=SERVER), now=T0 + 1)
    assert one_reply(eff).message_type is MessageType.DHCPACK  # only DISCOVER answers wait
    assert eng.next_deadline() == T0 + 3  # the held OFFER, before the 12 h lease
    assert one_reply(eng.on_timer(T0 + 3)).message_type is MessageType.DHCPOFFER
    assert eng.next_deadline() == int(T0) + 1 + 43200  # the lease granted at T0 + 1


def test_reply_delay_counts_the_ping_wait() -> None:
    """dnsmasq: the delay "takes into account the time already spent waiting" (ping)."""
    seq = "--dhcp-sequential-ip"
    short = engine(RANGE, seq, "--dhcp-reply-delay=2", ping=True)
    assert replies(feed(short, packet(D, HW))) == []  # a Probe goes out first
    offer = one_reply(short.on_probe_result(A("192.0.2.50"), False, T0 + 3))
    assert offer.yiaddr == A("192.0.2.50")  # 3 s of ping wait > 2 s of delay: at once
    long = engine(RANGE, seq, "--dhcp-reply-delay=5", ping=True)
    feed(long, packet(D, HW))
    assert replies(long.on_probe_result(A("192.0.2.50"), False, T0 + 3)) == []
    assert long.next_deadline() == T0 + 5
    assert one_reply(long.on_timer(T0 + 5)).yiaddr == A("192.0.2.50")


def test_reply_delay_by_tag_and_with_rapid_commit() -> None:
    eng = engine(
        RANGE,
        "--dhcp-rapid-commit",
        "--dhcp-mac=set:slow,02:00:00:00:01:*",
        "--dhcp-reply-delay=tag:slow,4",
    )
    assert sends(feed(eng, packet(D, mac(0x0201), extra={80: b""}))) != []  # not tagged
    assert sends(feed(eng, packet(D, HW, extra={80: b""}))) == []
    assert eng.next_deadline() == T0 + 4
    (held,) = replies(eng.on_timer(T0 + 4))
    assert held.message_type is MessageType.DHCPACK and held.options[80] == b""


# ---- BOOTP and --bootp-dynamic ----------------------------------------------------------------


def test_bootp_without_address_gets_no_reply() -> None:
    eng = engine(RANGE)
    eff = feed(eng, bootp())
    assert replies(eff) == [] and eng.leases == {}
    assert logs(eff) == ["BOOTP(veth0) 02:00:00:00:01:02 no address configured"]


def test_bootp_dynamic_leases_forever_with_bootp_tag_and_boot_header() -> None:
    eng = engine(
        RANGE,
        "--bootp-dynamic",
        "--dhcp-option=tag:bootp,option:ntp-server,192.0.2.9",
        "--dhcp-option=tag:!bootp,option:mtu,1400",
        "--dhcp-boot=pxe.0,bootsrv,192.0.2.7",
    )
    eff = feed(eng, bootp())
    reply = one_reply(eff)
    # dnsmasq 2.90: no 53/54/51/58/59, the header carries the boot data
    assert opts(reply) == [(1, "ffffff00"), (28, "c00002ff"), (3, "c0000201"), (42, "c0000209")]
    assert (reply.yiaddr, reply.siaddr) == (A("192.0.2.63"), A("192.0.2.7"))
    assert (reply.sname, reply.file) == (b"bootsrv", b"pxe.0")
    assert changes(eff) == [("add", A("192.0.2.63"))]
    assert eng.leases[A("192.0.2.63")].expires == 0  # infinite
    assert logs(eff) == ["BOOTP(veth0) 192.0.2.63 02:00:00:00:01:02 "]


def test_bootp_host_address_and_name_without_bootp_dynamic() -> None:
    eng = engine(RANGE, "--dhcp-host=02:00:00:00:01:02,192.0.2.33,bhost")
    reply = one_reply(feed(eng, bootp()))
    assert reply.yiaddr == A("192.0.2.33") and reply.options[12] == b"bhost"
    assert eng.leases[A("192.0.2.33")] == Lease4(A("192.0.2.33"), HW, hostname="bhost", expires=0)


def test_bootp_vendor_area_name_is_not_taken() -> None:
    eng = engine(RANGE, "--bootp-dynamic")
    req = encode_packet(Packet(BOOTREQUEST, 1, HW, flags=0x8000, options={12: b"bname"}), 1500)
    reply = one_reply(feed(eng, req))
    assert 12 not in reply.options and eng.leases[reply.yiaddr].hostname is None


def test_bootp_dynamic_with_tags_needs_them_all() -> None:
    eng = engine(RANGE, "--bootp-dynamic=lab,tag:!blocked", "--dhcp-mac=set:lab,02:00:00:00:01:*")
    assert one_reply(feed(eng, bootp())).yiaddr == A("192.0.2.63")
    assert replies(feed(eng, bootp(mac(0x0301)))) == []  # not tagged "lab"


# ---- boot data, options 66/67 and --dhcp-no-override --------------------------------------------


def test_boot_names_become_options_when_listed() -> None:
    eng = engine(RANGE, "--dhcp-boot=pxe.0,bootsrv,192.0.2.7")
    offer = one_reply(feed(eng, packet(D, HW, params=PRL)))
    assert [c for c, _ in opts(offer)][:5] == [53, 54, 51, 66, 67]
    assert offer.options[66] == b"bootsrv\0" and offer.options[67] == b"pxe.0\0"
    assert (offer.sname, offer.file, offer.siaddr) == (b"", b"", A("192.0.2.7"))
    plain = one_reply(feed(eng, packet(D, HW, xid=7, params=bytes([1, 3]))))
    assert (plain.sname, plain.file) == (b"bootsrv", b"pxe.0") and 66 not in plain.options


def test_no_override_keeps_boot_names_in_the_header() -> None:
    eng = engine(RANGE, "--dhcp-boot=pxe.0,bootsrv,192.0.2.7", "--dhcp-no-override")
    offer = one_reply(feed(eng, packet(D, HW, params=PRL)))
    assert (offer.sname, offer.file) == (b"bootsrv", b"pxe.0")
    assert 66 not in offer.options and 67 not in offer.options


def test_configured_66_67_go_to_the_header_unless_listed() -> None:
    eng = engine(RANGE, "--dhcp-option=66,tftpsrv", "--dhcp-option=67,file.bin")
    listed = one_reply(feed(eng, packet(D, HW, params=PRL)))
    assert opts(listed)[-2:] == [(67, b"file.bin\0".hex()), (66, b"tftpsrv\0".hex())]
    for prl in (bytes([1, 3]), None):
        other = one_reply(feed(eng, packet(D, HW, xid=8, params=prl)))
        assert (other.sname, other.file) == (b"tftpsrv", b"file.bin")
        assert 66 not in other.options and 67 not in other.options


def test_configured_options_come_newest_first_like_dnsmasq() -> None:
    eng = engine(RANGE, "--dhcp-option=option:ntp-server,192.0.2.8", "--dhcp-option=26,1400")
    offer = one_reply(feed(eng, packet(D, HW)))
    assert [c for c, _ in opts(offer)][-2:] == [26, 42]


# ---- encap:, vendor:, vi-encap: ---------------------------------------------------------------

ENCAP = (
    "--dhcp-option=encap:175,190,iscsi0",
    "--dhcp-option=encap:175,191,1.2.3.4",
    "--dhcp-option=vendor:PXEClient,1,0.0.0.0",
    "--dhcp-option=vendor:Other,2,5",
    "--dhcp-option=vi-encap:2,10,text",
    "--dhcp-option=vi-encap:2,11,192.0.2.5",
    "--dhcp-option=vi-encap:9,1,7",
)


def test_encapsulated_options_as_dnsmasq_sends_them() -> None:
    eng = engine(RANGE, *ENCAP)
    offer = one_reply(feed(eng, packet(D, HW, params=PRL, extra={60: b"PXEClient:Arch:00000"})))
    assert opts(offer)[-4:] == [
        (125, "0000000903010107" + "000000020c" + "0b04c0000205" + "0a0474657874"),
        (175, "bf0401020304" + "be06697363736930" + "ff"),
        (43, "010400000000ff"),  # 0.0.0.0 kept as is inside encapsulated options
        (60, b"PXEClient:Arch:00000".hex()),
    ]


def test_vendor_options_need_a_matching_class_and_a_request() -> None:
    eng = engine(RANGE, *ENCAP)
    other = one_reply(feed(eng, packet(D, HW, params=bytes([1, 43, 125, 175]), extra={60: b"x"})))
    assert 43 not in other.options and 60 not in other.options and 125 in other.options
    unasked = one_reply(feed(eng, packet(D, HW, params=bytes([1, 3]), extra={60: b"PXEClient"})))
    assert not {43, 60, 125, 175} & set(unasked.options)


def test_a_configured_vendor_class_selects_vendor_rows_when_sent() -> None:
    eng = engine(
        RANGE,
        "--dhcp-option=60,PXEClient",
        "--dhcp-option=vendor:PXEClient,1,0.0.0.0",
        "--dhcp-option=vendor:foo,2,1",
    )
    offer = one_reply(feed(eng, packet(D, HW, extra={60: b"foo"})))
    assert opts(offer)[-2:] == [(60, b"PXEClient".hex()), (43, "010400000000ff")]
    unsent = one_reply(feed(eng, packet(D, HW, params=bytes([1, 43]))))
    assert 43 not in unsent.options and 60 not in unsent.options  # our 60 not asked for


def test_tagged_encapsulated_row_and_size_flags() -> None:
    eng = engine(
        RANGE,
        "--dhcp-option=encap:175,1,5b",
        "--dhcp-option=tag:veth0,encap:175,1,300s",
        "--dhcp-option-force=vendor:,2,7i",
    )
    offer = one_reply(feed(eng, packet(D, HW, params=bytes([1]))))
    assert offer.options[43] == bytes.fromhex("020400000007ff")  # forced, empty class: everyone
    assert 175 not in offer.options and 60 not in offer.options
    full = one_reply(feed(eng, packet(D, HW, params=bytes([175]))))
    assert full.options[175] == bytes.fromhex("0102012cff")  # the tagged row wins


# ---- option 81 (RFC 4702), --dhcp-client-update ----------------------------------------

WIRE_FQ = b"\x02fq\x07example\x04test\x00"


def test_fqdn_names_the_lease_and_is_answered() -> None:
    eng = engine(RANGE, "--domain=example.test")
    offer = one_reply(feed(eng, packet(D, HW, extra={81: b"\x05\x00\x00" + WIRE_FQ})))
    assert opts(offer)[-3:] == [
        (15, b"example.test".hex()),
        (12, b"fq".hex()),
        (81, (b"\x05\xff\xff" + WIRE_FQ).hex()),
    ]
    req = packet(R, HW, requested=A("192.0.2.63"), server=SERVER, extra={81: b"\x00\0\0fq2"})
    eff = feed(eng, req)
    assert one_reply(eff).options[81] == b"\x03\xff\xfffq2.example.test"  # S|O
    assert eng.leases[A("192.0.2.63")].hostname == "fq2"


def test_fqdn_other_domain_is_ignored_with_a_log_line() -> None:
    eng = engine(RANGE, "--domain=example.test")
    req = packet(R, HW, requested=A("192.0.2.63"), server=SERVER, hostname="hn", extra={
        81: b"\x08\x00\x00fq4.other.test"
    })  # fmt: skip
    eff = feed(eng, req)
    assert "Ignoring domain other.test for DHCP host name fq4" in logs(eff)
    assert one_reply(eff).options[81] == b"\x03\xff\xfffq4.example.test"
    assert eng.leases[A("192.0.2.63")].hostname == "fq4"  # option 81 before option 12


def test_client_update_flags() -> None:
    eng = engine(RANGE, "--domain=example.test", "--dhcp-client-update")
    req = packet(R, HW, requested=A("192.0.2.63"), server=SERVER, extra={81: b"\x01\0\0fq3"})
    assert one_reply(feed(eng, req)).options[81] == b"\x0a\xff\xfffq3.example.test"  # N|O
    req = packet(R, HW, requested=A("192.0.2.63"), server=SERVER, extra={81: b"\x00\0\0fq3"})
    assert one_reply(feed(eng, req)).options[81] == b"\x08\xff\xfffq3.example.test"  # N


def test_offer_names_the_client_only_after_option_81() -> None:
    eng = engine(RANGE, "--dhcp-host=02:00:00:00:01:02,cfgname")
    assert 12 not in one_reply(feed(eng, packet(D, HW, hostname="x"))).options
    ack = one_reply(feed(eng, packet(R, HW, requested=A("192.0.2.63"), server=SERVER)))
    assert ack.options[12] == b"cfgname"


# ---- --shared-network ---------------------------------------------------------------------

SHARED = "--dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0,1h"


def test_shared_network_by_local_address_serves_the_other_subnet_without_router() -> None:
    eng = engine(SHARED, "--shared-network=192.0.2.1,198.51.100.1")
    offer = one_reply(feed(eng, packet(D, HW, params=bytes([1, 3, 6, 28]))))
    assert A("198.51.100.10") <= offer.yiaddr <= A("198.51.100.20")
    assert offer.options[1] == A("255.255.255.0").packed
    assert offer.options[28] == A("198.51.100.255").packed and 3 not in offer.options
    assert offer.options[54] == SERVER.packed
    req = packet(R, HW, requested=A("198.51.100.17"), server=SERVER)
    assert one_reply(feed(eng, req)).message_type is MessageType.DHCPACK


def test_shared_network_by_interface_name_and_absent() -> None:
    assert replies(feed(engine(SHARED), packet(D, HW))) == []
    eng = engine(SHARED, "--shared-network=veth0,198.51.100.1", RANGE)
    assert one_reply(feed(eng, packet(D, HW))).yiaddr == A("192.0.2.63")  # own subnet first
    eng = engine(SHARED, "--shared-network=eth9,198.51.100.1")
    assert replies(feed(eng, packet(D, HW))) == []  # another interface's


def test_shared_network_for_a_relay() -> None:
    eng = engine(SHARED, "--shared-network=203.0.113.1,198.51.100.1")
    addrs = (IPv4Interface("192.0.2.1/24"),)
    offer = one_reply(feed(eng, packet(D, HW, giaddr=A("203.0.113.1")), addrs=addrs))
    assert A("198.51.100.10") <= offer.yiaddr <= A("198.51.100.20")


# ---- --read-ethers ---------------------------------------------------------------------------


def test_read_ethers_feeds_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ethers"
    path.write_text("02:00:00:00:01:02 192.0.2.44\n")
    monkeypatch.setattr("lanctl.dhcp4.hostfiles.ETHERS", str(path))
    eng = engine(RANGE, "--read-ethers")
    FileTables(eng).load()
    assert one_reply(feed(eng, packet(D, HW))).yiaddr == A("192.0.2.44")
    plain = engine(RANGE)
    FileTables(plain).load()  # without --read-ethers the file is not read
    assert one_reply(feed(plain, packet(D, HW))).yiaddr == A("192.0.2.63")


# ---- --dhcp-ttl ------------------------------------------------------------------------------


def test_dhcp_ttl_is_the_ttl_of_lease_names(tmp_path: Path) -> None:
    from lanctl.store.sqlite import SqliteBackend

    store = tmp_path / "leases.sqlite"
    SqliteBackend(str(store)).close()
    base = ["-C", "/dev/null", f"--lease-store={store}", "--local-ttl=60"]
    names = lease_names(load([*base, "--dhcp-ttl=7"]))
    assert names is not None and names.ttl == 7
    names.backend.close()
    names = lease_names(load(base))
    assert names is not None and names.ttl == 60  # --local-ttl when --dhcp-ttl is absent
    names.backend.close()
