"""TFTP codec: golden vectors, round trips and the DecodeError-only fuzz invariant."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.errors import DecodeError
from lanctl.tftp.wire import (
    Ack,
    Data,
    Error,
    ErrorCode,
    OAck,
    Opcode,
    Packet,
    Request,
    decode_packet,
    encode_error,
    encode_packet,
    peek_ack,
)

GOLDEN: list[tuple[bytes, Packet]] = [
    (b"\0\1boot.efi\0octet\0", Request(Opcode.RRQ, "boot.efi", "octet")),
    (b"\0\2up\0netascii\0", Request(Opcode.WRQ, "up", "netascii")),
    (
        b"\0\1f\0OCTET\0BLKSIZE\0001468\0tsize\0000\0",
        Request(Opcode.RRQ, "f", "octet", (("blksize", "1468"), ("tsize", "0"))),
    ),
    (b"\0\3\0\1abc", Data(1, b"abc")),
    (b"\0\3\xff\xff", Data(65535, b"")),
    (b"\0\4\0\0", Ack(0)),
    (b"\0\5\0\1file not found\0", Error(1, "file not found")),
    (b"\0\6blksize\0001468\0", OAck((("blksize", "1468"),))),
]


@pytest.mark.parametrize(("raw", "packet"), GOLDEN)
def test_golden_vectors_decode(raw: bytes, packet: Packet) -> None:
    assert decode_packet(raw) == packet


def test_encode_matches_the_rfc_layout() -> None:
    assert encode_packet(Data(70000, b"x")) == b"\0\3" + (70000 & 0xFFFF).to_bytes(2, "big") + b"x"
    assert encode_packet(Ack(65536)) == b"\0\4\0\0"  # block numbers wrap on the wire
    assert encode_packet(OAck((("tsize", "10"),))) == b"\0\6tsize\00010\0"
    assert encode_packet(Error(ErrorCode.ILLEGAL_OPERATION, "no")) == b"\0\5\0\4no\0"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\0",
        b"\0\7x\0",  # unknown opcode
        b"\0\1name",  # no NUL terminator
        b"\0\1name\0",  # no mode
        b"\0\1name\0\xffmode\0",  # non-ASCII mode
        b"\0\3\0",  # DATA without a full block number
        b"\0\4",
        b"\0\6blksize\0",  # OACK option without a value
    ],
)
def test_malformed_packets_raise_decode_error(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_packet(raw)


def test_dangling_option_name_is_ignored() -> None:
    packet = decode_packet(b"\0\1f\0octet\0tsize\0000\0blksize\0")
    assert isinstance(packet, Request) and packet.options == (("tsize", "0"),)


def test_non_utf8_file_names_survive_the_round_trip() -> None:
    raw = b"\0\1caf\xe9\0octet\0"
    packet = decode_packet(raw)
    assert encode_packet(packet) == raw


def test_error_packet_is_bounded_and_exact() -> None:
    packet = encode_error(0, "x" * 2000)
    assert len(packet) == 512 and packet.endswith(b"x\0") and packet[4:].count(b"\0") == 1


def test_peek_ack() -> None:
    assert peek_ack(b"\0\4\1\2") == 0x102
    assert peek_ack(b"\0\3\1\2") is None and peek_ack(b"\0\4\1") is None


@given(st.binary(max_size=600))
def test_fuzz_random_bytes_raise_only_decode_error(raw: bytes) -> None:
    try:
        decode_packet(raw)
    except DecodeError:
        pass


# Names come off the wire decoded with surrogateescape, so only lone surrogates in
# U+DC80..U+DCFF can occur; other surrogates are not text a packet can carry.
_wire_chars = st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))
names = st.text(_wire_chars, min_size=1, max_size=40)
option_names = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
values = st.text("0123456789", min_size=1, max_size=6)


@given(
    st.one_of(
        st.builds(
            Request,
            st.sampled_from([Opcode.RRQ, Opcode.WRQ]),
            names,
            st.sampled_from(["octet", "netascii"]),
            st.lists(st.tuples(option_names, values), max_size=4).map(tuple),
        ),
        st.builds(Data, st.integers(0, 65535), st.binary(max_size=600)),
        st.builds(Ack, st.integers(0, 65535)),
        st.builds(Error, st.integers(0, 8), st.text(_wire_chars)),
        st.builds(OAck, st.lists(st.tuples(option_names, values), max_size=4).map(tuple)),
    )
)
def test_round_trip(packet: Packet) -> None:
    assert decode_packet(encode_packet(packet)) == packet
