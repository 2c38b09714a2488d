"""The DHCPv4 codec: round trips, overload, RFC 3396, option 82, size limit, bad input, fuzz."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanctl.dhcp4.wire import (
    BOOTREPLY,
    BOOTREQUEST,
    HEADER,
    MAGIC,
    MessageType,
    Opt,
    Packet,
    decode_packet,
    encode_packet,
)
from lanctl.errors import DecodeError

DATA = Path(__file__).resolve().parents[1] / "data" / "dhcp4"
MAC = bytes.fromhex("020000000102")


def raw_packet(options: bytes, *, sname: bytes = b"", file: bytes = b"", hlen: int = 6) -> bytes:
    head = HEADER.pack(
        BOOTREQUEST, 1, hlen, 0, 0x1234, 0, 0x8000, bytes(4), bytes(4), bytes(4), bytes(4),
        MAC.ljust(16, b"\0"), sname.ljust(64, b"\0"), file.ljust(128, b"\0"),
    )  # fmt: skip
    return head + MAGIC + options


def test_round_trip_keeps_every_field() -> None:
    pkt = Packet(
        op=BOOTREPLY,
        xid=0xDEADBEEF,
        chaddr=MAC.ljust(16, b"\0"),
        hops=1,
        secs=7,
        flags=0x8000,
        ciaddr=IPv4Address("192.0.2.9"),
        yiaddr=IPv4Address("192.0.2.50"),
        siaddr=IPv4Address("192.0.2.1"),
        giaddr=IPv4Address("192.0.2.254"),
        sname=b"boot",
        file=b"pxelinux.0",
        options={53: b"\x02", 54: bytes([192, 0, 2, 1]), 12: b"host"},
    )
    back = decode_packet(encode_packet(pkt))
    assert back == pkt
    assert back.mac == MAC and back.broadcast and back.message_type is MessageType.DHCPOFFER


def test_encode_orders_53_then_54_and_82_last_and_pads_to_300() -> None:
    pkt = Packet(
        BOOTREPLY, 1, MAC, options={1: bytes(4), 82: b"\x01\x02ab", 54: bytes(4), 53: b"\x05"}
    )
    raw = encode_packet(pkt)
    assert len(raw) == 300
    opts = raw[240:]
    assert opts[:3] == b"\x35\x01\x05" and opts[3] == 54
    end = opts.index(b"\xff\x00")  # END then padding
    assert opts[end - 6 : end] == b"\x52\x04\x01\x02ab"


def test_pad_skipped_end_stops_and_missing_end_tolerated() -> None:
    body = b"\x00\x00\x35\x01\x01\xff\x0c\x03abc"
    assert decode_packet(raw_packet(body)).options == {53: b"\x01"}
    assert decode_packet(raw_packet(b"\x35\x01\x03")).options == {53: b"\x03"}


def test_rfc3396_repeated_option_is_concatenated_and_long_values_split() -> None:
    pkt = decode_packet(raw_packet(b"\x35\x01\x01\x0c\x02ab\x0c\x02cd\xff"))
    assert pkt.options[12] == b"abcd"
    long = Packet(BOOTREPLY, 1, MAC, options={53: b"\x02", 43: bytes(range(256)) * 2})
    raw = encode_packet(long, max_size=2000)
    assert raw.count(b"\x2b\xff") >= 2  # two 255-octet pieces, then the rest
    assert decode_packet(raw).options[43] == bytes(range(256)) * 2


def test_option_overload_reads_file_then_sname() -> None:
    file_opts = b"\x0c\x04host\xff"
    sname_opts = b"\x0f\x07example\xff"
    pkt = decode_packet(
        raw_packet(b"\x35\x01\x01\x34\x01\x03\xff", sname=sname_opts, file=file_opts)
    )
    assert pkt.options[12] == b"host" and pkt.options[15] == b"example"
    assert pkt.sname == b"" and pkt.file == b"" and Opt.OVERLOAD not in pkt.options


def test_option_82_kept_verbatim() -> None:
    agent = b"\x01\x04eth0\x02\x06\x02\x00\x00\x00\x00\x09"
    pkt = decode_packet(raw_packet(b"\x35\x01\x01\x52" + bytes([len(agent)]) + agent + b"\xff"))
    assert pkt.options[82] == agent


def test_max_size_drops_late_options_but_keeps_53_54_82() -> None:
    opts = {53: b"\x05", 54: bytes(4), **{c: bytes(200) for c in range(100, 105)}, 82: b"\x01\x01x"}
    raw = encode_packet(Packet(BOOTREPLY, 1, MAC, options=opts), max_size=548)
    assert len(raw) <= 548
    back = decode_packet(raw)
    assert back.options[53] == b"\x05" and back.options[82] == b"\x01\x01x" and 54 in back.options
    assert 100 in back.options and 104 not in back.options


@pytest.mark.parametrize(
    "data",
    [
        b"",
        raw_packet(b"")[:235],  # shorter than the BOOTP header
        raw_packet(b"\x35\x05\x01"),  # length past the end
        raw_packet(b"\x35"),  # no length octet
        raw_packet(b"\x35\x01\x01", hlen=17),  # hlen > 16
        raw_packet(b"\x35\x01\x01\x34\x01\x07"),  # bad overload value
        raw_packet(b"\x35\x01\x01\x34\x01\x01", file=b"\x0c\xf0ab"),  # overload junk in file
        b"\x03" + raw_packet(b"\x35\x01\x01")[1:],  # op neither request nor reply
    ],
    ids=["empty", "short", "length", "nolength", "hlen", "overload", "file", "op"],
)
def test_malformed_packets_raise_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_packet(data)


def test_bootp_without_cookie_has_no_options() -> None:
    """dnsmasq: a request without the magic cookie is plain BOOTP (RFC 951 vendor area)."""
    pkt = decode_packet(raw_packet(b"")[:236] + bytes(64))
    assert pkt.options == {} and pkt.message_type is None and pkt.mac == MAC[:6]


def test_htype_zero_needs_hlen_zero() -> None:
    data = bytearray(raw_packet(b"\x35\x01\x01"))
    data[1] = 0
    with pytest.raises(DecodeError):
        decode_packet(bytes(data))
    data[2] = 0
    assert decode_packet(bytes(data)).mac == b""


def test_zero_length_options_are_accepted_by_the_codec() -> None:
    pkt = decode_packet(raw_packet(b"\x35\x00\x3d\x00\x52\x00\xff"))
    assert pkt.options == {53: b"", 61: b"", 82: b""} and pkt.message_type is None


@pytest.mark.parametrize("path", sorted(DATA.glob("*.hex")), ids=lambda p: p.stem)
def test_golden_client_packets_decode_and_round_trip(path: Path) -> None:
    raw = bytes.fromhex(path.read_text())
    pkt = decode_packet(raw)
    _client, _, kind = path.stem.split("-")
    assert pkt.op == BOOTREQUEST and pkt.hlen == 6 and pkt.mac[0] == 0x02
    assert pkt.message_type is not None and pkt.message_type.name.lower() == kind
    assert Opt.PARAMETER_LIST in pkt.options
    again = decode_packet(encode_packet(pkt, max_size=1500))
    assert again.options == pkt.options and again.xid == pkt.xid


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_decode_error(data: bytes) -> None:
    try:
        decode_packet(data)
    except DecodeError:
        pass


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 255), st.integers(0, 20))
def test_fuzz_valid_header_random_options(options: bytes, htype: int, hlen: int) -> None:
    data = bytearray(raw_packet(options))
    data[1], data[2] = htype, hlen
    try:
        pkt = decode_packet(bytes(data))
    except DecodeError:
        return
    assert decode_packet(encode_packet(pkt, max_size=16384)).options == pkt.options


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 254).filter(lambda c: c != 52), st.binary(max_size=300), max_size=8
    )
)
def test_round_trip_options(options: dict[int, bytes]) -> None:
    pkt = Packet(BOOTREPLY, 5, MAC, options=options)
    assert decode_packet(encode_packet(pkt, max_size=16384)).options == options


def test_header_is_236_octets() -> None:
    assert HEADER.size == 236 and struct.calcsize("!4s") == 4


def test_overload_spills_into_file_then_sname_and_decodes_back() -> None:
    opts = {53: b"\x05", 54: bytes(4), **{c: bytes([c]) * 90 for c in range(240, 246)}}
    pkt = Packet(BOOTREPLY, 1, MAC, options=opts)
    plain = decode_packet(encode_packet(pkt, max_size=548))
    assert set(plain.options) == {53, 54, 240, 241, 242}  # dropped beyond the limit
    raw = encode_packet(pkt, max_size=548, overload=True)
    assert len(raw) <= 548
    back = decode_packet(raw)
    assert set(back.options) == {53, 54, 240, 241, 242, 243}  # 243 in file; sname too small
    assert back.options[243] == bytes([243]) * 90 and back.file == b"" and back.sname == b""
    small = {53: b"\x05", **{c: bytes([c]) * 40 for c in range(240, 252)}}
    back = decode_packet(
        encode_packet(Packet(BOOTREPLY, 1, MAC, options=small), 548, overload=True)
    )
    assert set(back.options) == {53, *range(240, 251)}  # 7 in main, 3 in file, 1 in sname


def test_overload_leaves_a_used_file_field_alone() -> None:
    opts = {53: b"\x05", **{c: bytes([c]) * 90 for c in range(240, 246)}}
    pkt = Packet(BOOTREPLY, 1, MAC, file=b"pxe.0", options=opts)
    back = decode_packet(encode_packet(pkt, max_size=548, overload=True))
    assert back.file == b"pxe.0" and 243 not in back.options
