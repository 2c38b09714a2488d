"""Byte-level DNS codec for the hot path: peek a query, build error replies, encode names.

RFC 1035 §4.1 (header, question), RFC 6891 §6 (OPT pseudo-RR: UDP size, DO bit, version),
RFC 8914 (Extended DNS Errors).  Nothing here imports dnspython: a query is checked and its
question located with `struct` only, so local answers never pay for a full parse.
Malformed peer input raises `DecodeError` and nothing else (fuzzed in tests/dns/test_wire.py).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from lanctl.dns.frozen import fast_init
from lanctl.errors import DecodeError

# RFC 1035 §4.1.1 header flag bits.
QR: Final = 0x8000
OPCODE_MASK: Final = 0x7800
AA: Final = 0x0400
TC: Final = 0x0200
RD: Final = 0x0100
RA: Final = 0x0080
CD: Final = 0x0010
RCODE_MASK: Final = 0x000F

HEADER: Final = struct.Struct("!HHHHHH")
_TYPE_CLASS: Final = struct.Struct("!HH")
_RR_FIXED: Final = struct.Struct("!HHIH")
MAX_NAME: Final = 255  # RFC 1035 §3.1: names are at most 255 octets on the wire
MIN_UDP: Final = 512  # RFC 1035 §4.2.1; RFC 6891 §6.2.5: EDNS sizes below 512 mean 512


class Rcode(IntEnum):
    """RFC 1035 §4.1.1 RCODE values used by the server."""

    NOERROR = 0
    FORMERR = 1
    SERVFAIL = 2
    NXDOMAIN = 3
    NOTIMP = 4
    REFUSED = 5


class QType(IntEnum):
    """RFC 1035 §3.2.2 / RFC 3596 §2.1 / RFC 6891 §6.1.1 types the server deals in."""

    A = 1
    NS = 2
    CNAME = 5
    SOA = 6
    PTR = 12
    MX = 15
    TXT = 16
    AAAA = 28
    SRV = 33
    OPT = 41
    ANY = 255


class QClass(IntEnum):
    """RFC 1035 §3.2.4 classes: IN, and CHAOS for the *.bind statistics names."""

    IN = 1
    CH = 3
    ANY = 255


class Ede(IntEnum):
    """RFC 8914 §4 Extended DNS Error codes that dnsmasq attaches."""

    OTHER = 0
    NOT_READY = 14


# dnsmasq's names for query types in "query[TYPE]" log lines (others print as "type=N").
_TYPE_NAMES: Final = {
    1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
    17: "RP", 18: "AFSDB", 24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV",
    35: "NAPTR", 36: "KX", 37: "CERT", 39: "DNAME", 41: "OPT", 43: "DS", 44: "SSHFP",
    46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA",
    64: "SVCB", 65: "HTTPS", 99: "SPF", 249: "TKEY", 250: "TSIG", 251: "IXFR",
    252: "AXFR", 253: "MAILB", 255: "ANY", 257: "CAA",
}  # fmt: skip


def qtype_text(qtype: int) -> str:
    """The type as dnsmasq writes it in `query[...]` log lines."""
    name = _TYPE_NAMES.get(qtype)
    return name if name is not None else f"type={qtype}"


@fast_init
@dataclass(frozen=True, slots=True)
class Query:
    """What the engine needs from a query: the question (as sent and lowercased) and EDNS.

    `question_end` is the offset just past QTYPE/QCLASS, so `data[12:question_end]` is
    the question exactly as the client wrote it (its case is echoed back).
    `edns_size` is 0 without an OPT record, else the advertised size (at least 512).
    """

    id: int
    flags: int
    qname: bytes
    qname_lower: bytes
    qtype: int
    qclass: int
    question_end: int
    edns_size: int
    do: bool


def peek_flags(data: bytes) -> int:
    """The header flags word; DecodeError when the packet is shorter than a header."""
    if len(data) < 12:
        raise DecodeError(f"packet of {len(data)} bytes is shorter than a DNS header")
    flags: int = struct.unpack_from("!H", data, 2)[0]
    return flags


def name_end(data: bytes, off: int) -> int:
    """Offset just past an uncompressed name starting at `off` (question names only)."""
    n = len(data)
    start = off
    while True:
        if off >= n:
            raise DecodeError("name runs past the end of the packet")
        length = data[off]
        if length == 0:
            off += 1
            break
        if length > 63:
            # RFC 1035 §4.1.4 pointers cannot usefully appear in the only question of a
            # query (nothing precedes it to point at); 0x40/0x80 label types are obsolete.
            raise DecodeError(f"label type 0x{length & 0xC0:02x} in question name")
        off += length + 1
    if off - start > MAX_NAME:
        raise DecodeError("name longer than 255 octets")
    return off


def skip_name(data: bytes, off: int) -> tuple[int, bool]:
    """Skip a record's owner name (compression pointers allowed); (end, is_root)."""
    n = len(data)
    start = off
    while True:
        if off >= n:
            raise DecodeError("name runs past the end of the packet")
        length = data[off]
        if length == 0:
            return off + 1, off == start
        if length & 0xC0 == 0xC0:
            if off + 2 > n:
                raise DecodeError("truncated compression pointer")
            return off + 2, False
        if length > 63:
            raise DecodeError(f"label type 0x{length & 0xC0:02x}")
        off += length + 1
        if off - start > MAX_NAME:
            raise DecodeError("name longer than 255 octets")


def _parse_additional(data: bytes, off: int, count: int) -> tuple[int, bool]:
    """Walk the additional section; (EDNS UDP size or 0, DO bit).  RFC 6891 §6.1.1."""
    n = len(data)
    size = 0
    do = False
    for _ in range(count):
        off, is_root = skip_name(data, off)
        if off + 10 > n:
            raise DecodeError("truncated resource record in additional section")
        rtype, rclass, ttl, rdlen = _RR_FIXED.unpack_from(data, off)
        off += 10 + rdlen
        if off > n:
            raise DecodeError("RDATA runs past the end of the packet")
        if rtype == QType.OPT:
            # RFC 6891 §6.1.1: at most one OPT, owner must be the root.
            if size or not is_root:
                raise DecodeError("second OPT record or OPT with a non-root owner")
            size = max(MIN_UDP, rclass)
            do = bool(ttl & 0x8000)
    return size, do


def decode_query(data: bytes) -> Query:
    """Check a query packet and locate its question; DecodeError when malformed.

    Rules: QR clear, QDCOUNT 1 (RFC 9619), ANCOUNT/NSCOUNT 0, a well-formed uncompressed
    question name, complete QTYPE/QCLASS, well-formed additional records with at most one
    OPT.  Bytes after the counted records are ignored, as dnsmasq does.
    """
    if len(data) < 12:
        raise DecodeError(f"packet of {len(data)} bytes is shorter than a DNS header")
    qid, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(data)
    if flags & QR:
        raise DecodeError("packet is a response, not a query")
    if qdcount != 1:
        raise DecodeError(f"QDCOUNT is {qdcount}, not 1")
    if ancount or nscount:
        raise DecodeError("query with answer or authority records")
    end = name_end(data, 12)
    if end + 4 > len(data):
        raise DecodeError("question truncated before QTYPE/QCLASS")
    qtype, qclass = _TYPE_CLASS.unpack_from(data, end)
    qend = end + 4
    size, do = _parse_additional(data, qend, arcount) if arcount else (0, False)
    qname = data[12:end]
    # Length octets are <= 63 and therefore never in b"A".."Z": bytes.lower() is safe.
    return Query(qid, flags, qname, qname.lower(), qtype, qclass, qend, size, do)


def encode_opt(udp_size: int, do: bool, options: bytes = b"") -> bytes:
    """An OPT pseudo-RR (RFC 6891 §6.1.2): root owner, our UDP size, DO echoed."""
    return (
        b"\x00" + _RR_FIXED.pack(QType.OPT, udp_size, 0x8000 if do else 0, len(options)) + (options)
    )


def encode_ede(code: int, text: str = "") -> bytes:
    """An Extended DNS Error EDNS option (RFC 8914 §2): option code 15."""
    body = struct.pack("!H", code) + text.encode()
    return struct.pack("!HH", 15, len(body)) + body


def reply_flags(query_flags: int, rcode: int, extra: int = 0) -> int:
    """Reply flags: QR, the query's opcode, RD and CD copied, RA set (dnsmasq always sets RA)."""
    return QR | (query_flags & (OPCODE_MASK | RD | CD)) | RA | extra | rcode


def header_error(data: bytes, rcode: int) -> bytes:
    """A header-only error reply for a query whose question could not be read."""
    flags = peek_flags(data)
    return data[:2] + HEADER.pack(0, reply_flags(flags, rcode), 0, 0, 0, 0)[2:]


def error_reply(
    data: bytes, q: Query, rcode: int, *, edns_size: int, ede: int | None = None
) -> bytes:
    """An error reply echoing the question, with OPT (and EDE) when the query had EDNS."""
    opt = b""
    if q.edns_size:
        opt = encode_opt(edns_size, q.do, encode_ede(ede) if ede is not None else b"")
    header = HEADER.pack(q.id, reply_flags(q.flags, rcode), 1, 0, 0, 1 if opt else 0)
    return header + data[12 : q.question_end] + opt


def patch_id(reply: bytes, qid: int) -> bytes:
    """The same reply with another message ID."""
    return struct.pack("!H", qid) + reply[2:]


def encode_name(text: str) -> bytes:
    """Dotted text to wire format (no compression); ValueError when it cannot be encoded."""
    text = text.rstrip(".")
    if not text:
        return b"\x00"
    out = bytearray()
    for label in text.split("."):
        raw = label.encode("ascii")
        if not raw or len(raw) > 63:
            raise ValueError(f"bad label in {text!r}")
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > MAX_NAME:
        raise ValueError(f"name {text!r} longer than 255 octets")
    return bytes(out)


def name_text(wire: bytes) -> str:
    """Wire name to dotted text for logs; unprintable octets and dots as \\DDD."""
    labels: list[str] = []
    off = 0
    while off < len(wire) and wire[off]:
        length = wire[off]
        raw = wire[off + 1 : off + 1 + length]
        labels.append(
            "".join(
                chr(b) if 0x21 <= b <= 0x7E and b not in (0x2E, 0x5C) else f"\\{b:03d}" for b in raw
            )
        )
        off += length + 1
    return ".".join(labels)
