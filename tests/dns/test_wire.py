"""Golden bytes and fuzzing for lanctl.dns.wire (the struct-level query peek and builders)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanctl.dns import wire
from lanctl.errors import DecodeError

# id 0x1234, RD, QDCOUNT 1, "Host1.Example" A IN
QUERY = bytes.fromhex("123401000001000000000000") + b"\x05Host1\x07Example\x00\x00\x01\x00\x01"
OPT_DO = b"\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00"  # size 4096, DO


def with_counts(body: bytes, qd: int = 1, an: int = 0, ns: int = 0, ar: int = 0) -> bytes:
    return struct.pack("!HHHHHH", 0x1234, 0x0100, qd, an, ns, ar) + body


def test_decode_query_golden() -> None:
    q = wire.decode_query(QUERY)
    assert q.id == 0x1234
    assert q.flags == 0x0100
    assert q.qname == b"\x05Host1\x07Example\x00"
    assert q.qname_lower == b"\x05host1\x07example\x00"
    assert (q.qtype, q.qclass) == (1, 1)
    assert q.question_end == len(QUERY)
    assert (q.edns_size, q.do) == (0, False)


def test_decode_query_reads_edns_size_and_do_bit() -> None:
    q = wire.decode_query(with_counts(QUERY[12:] + OPT_DO, ar=1))
    assert (q.edns_size, q.do) == (4096, True)


def test_small_edns_size_counts_as_512() -> None:
    opt = b"\x00\x00\x29\x00\x64\x00\x00\x00\x00\x00\x00"  # size 100
    assert wire.decode_query(with_counts(QUERY[12:] + opt, ar=1)).edns_size == 512


def test_trailing_bytes_after_counted_records_are_ignored() -> None:
    assert wire.decode_query(QUERY + b"junk").question_end == len(QUERY)


@pytest.mark.parametrize(
    ("packet", "why"),
    [
        (QUERY[:11], "short header"),
        (with_counts(b"", qd=0), "QDCOUNT 0"),
        (with_counts(QUERY[12:] * 2, qd=2), "QDCOUNT 2"),
        (with_counts(QUERY[12:], an=1), "answer in query"),
        (QUERY[:20], "name runs off the end"),
        (QUERY[:-1], "QCLASS cut"),
        (with_counts(b"\xc0\x0c\x00\x01\x00\x01"), "pointer in question"),
        (with_counts(b"\x41abc\x00\x00\x01\x00\x01"), "extended label type"),
        (with_counts(QUERY[12:] + OPT_DO + OPT_DO, ar=2), "two OPT records"),
        (with_counts(QUERY[12:] + OPT_DO[:-3], ar=1), "OPT cut short"),
        (with_counts((b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01"), "name > 255"),
        (bytes.fromhex("123481000001000000000000") + QUERY[12:], "a response"),
    ],
)
def test_malformed_queries_raise_decode_error(packet: bytes, why: str) -> None:
    with pytest.raises(DecodeError):
        wire.decode_query(packet)


def test_error_reply_golden_refused_with_ede() -> None:
    data = with_counts(QUERY[12:] + OPT_DO, ar=1)
    q = wire.decode_query(data)
    out = wire.error_reply(data, q, wire.Rcode.REFUSED, edns_size=1232, ede=wire.Ede.NOT_READY)
    # Same bytes dnsmasq 2.90 sends (captured with a raw socket): QR RD RA REFUSED, the
    # question echoed, OPT 1232 with DO echoed and EDE 14.
    expected = (
        bytes.fromhex("123481850001000000000001")
        + QUERY[12:]
        + bytes.fromhex("00002904d000008000000600 0f0002000e".replace(" ", ""))
    )
    assert out == expected


def test_header_error_keeps_id_opcode_and_rd() -> None:
    data = bytes.fromhex("beef2900") + b"\x00" * 8  # opcode UPDATE, RD
    assert wire.header_error(data, wire.Rcode.FORMERR) == bytes.fromhex("beefa981") + b"\x00" * 8


def test_patch_id() -> None:
    assert wire.patch_id(QUERY, 0xABCD)[:2] == b"\xab\xcd"
    assert wire.patch_id(QUERY, 0xABCD)[2:] == QUERY[2:]


def test_names_round_trip_and_escape() -> None:
    assert wire.encode_name("a.Example.") == b"\x01a\x07Example\x00"
    assert wire.encode_name("") == b"\x00"
    assert wire.name_text(b"\x03a.b\x01\x00\x00") == "a\\046b.\\000"
    with pytest.raises(ValueError):
        wire.encode_name("a" * 64 + ".example")
    with pytest.raises(ValueError):
        wire.encode_name("a..b")


def test_qtype_text() -> None:
    assert [wire.qtype_text(t) for t in (1, 28, 12, 255, 65534)] == [
        "A", "AAAA", "PTR", "ANY", "type=65534",
    ]  # fmt: skip


@settings(max_examples=3000)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    try:
        wire.decode_query(data)
    except DecodeError:
        pass


@settings(max_examples=2000)
@given(st.binary(min_size=0, max_size=120), st.integers(0, 3), st.integers(0, 3))
def test_mutated_queries_raise_only_decode_error(tail: bytes, qd: int, ar: int) -> None:
    data = with_counts(QUERY[12:] + tail, qd=qd, ar=ar)
    try:
        q = wire.decode_query(data)
    except DecodeError:
        return
    assert q.question_end <= len(data)
