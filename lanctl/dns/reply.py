"""Upstream replies with `struct` only: walk the records, strip OPT, rebuild per client.

RFC 1035 §4.1 (sections, §4.1.4 compression pointers), RFC 2308 §5 (negative TTL: the
smaller of the SOA's TTL and its MINIMUM), RFC 6891 §6.1.1 (one OPT, in the additional
section, never cached and never passed on: each client gets our own OPT).
A `Body` is what follows the question, without OPT, with the offsets of every TTL field so
that a cached or coalesced reply is rebuilt for any client by patching ID, TTLs and copying
the client's spelling of the question (ARCHITECTURE §5 fast path: no dnspython).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Final

from lanctl.dns.frozen import fast_init
from lanctl.dns.wire import (
    CD,
    HEADER,
    QR,
    RA,
    RD,
    TC,
    QType,
    Rcode,
    name_end,
    qtype_text,
    skip_name,
)
from lanctl.errors import DecodeError

_RR_FIXED: Final = struct.Struct("!HHIH")
_TTL: Final = struct.Struct("!I")
_RR_TAIL: Final = struct.Struct("!HH")  # TYPE then CLASS; at TTL+2: the TTL's low half, RDLENGTH
KEEP_FLAGS: Final = 0x0400 | 0x0020 | 0x000F  # AA, AD and RCODE come from upstream
AA_BIT: Final = 0x0400
_OPT: Final = int(QType.OPT)


@fast_init
@dataclass(frozen=True, slots=True)
class Record:
    """One record of the answer or authority section: type, TTL and RDATA location."""

    section: int  # 0 answer, 1 authority, 2 additional
    rtype: int
    ttl: int
    rdata: bytes


@fast_init
@dataclass(frozen=True, slots=True)
class Body:
    """A reply after its question, OPT removed: bytes, counts, TTL offsets (into `data`)."""

    flags: int  # AA/AD/RCODE of the upstream reply
    data: bytes
    counts: tuple[int, int, int]
    ttl_offsets: tuple[int, ...]  # of every record, in order (TYPE: 4 octets before)
    ttls: tuple[int, ...]
    truncated: bool

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def records(self) -> tuple[Record, ...]:
        """The records, read from `data` when asked (filters, cache, logs): the TTL offsets
        locate each one, so no name is walked again.  Most replies are only passed on."""
        data, an, authority = self.data, self.counts[0], self.counts[0] + self.counts[1]
        unpack = _RR_TAIL.unpack_from
        out = []
        for i, (at, ttl) in enumerate(zip(self.ttl_offsets, self.ttls, strict=True)):
            rtype, rdlen = unpack(data, at - 4)[0], unpack(data, at + 2)[1]
            section = 0 if i < an else 1 if i < authority else 2
            out.append(Record(section, rtype, ttl, data[at + 6 : at + 6 + rdlen]))
        return tuple(out)


def question_end(data: bytes) -> int:
    """Offset past the only question of a reply; DecodeError unless QDCOUNT is 1."""
    if len(data) < 12:
        raise DecodeError("reply shorter than a DNS header")
    if struct.unpack_from("!H", data, 4)[0] != 1:
        raise DecodeError("reply QDCOUNT is not 1")
    end = name_end(data, 12) + 4
    if end > len(data):
        raise DecodeError("reply question truncated")
    return end


def parse_body(data: bytes, qend: int) -> Body:
    """Walk the records of a reply whose question ends at `qend`; DecodeError if malformed."""
    _, flags, _, an, ns, ar = HEADER.unpack_from(data)
    size = len(data)
    unpack = _RR_FIXED.unpack_from
    off = qend
    offsets: list[int] = []  # TTL fields, relative to qend
    ttls: list[int] = []
    opt: tuple[int, int] | None = None
    authority = an + ns
    for i in range(authority + ar):
        start = off
        if off < size and data[off] >= 0xC0:  # a compression pointer: the usual owner
            off += 2
        else:
            off = skip_name(data, off)[0]
        if off + 10 > size:
            raise DecodeError("truncated resource record")
        rtype, _, ttl, rdlen = unpack(data, off)
        end = off + 10 + rdlen
        if end > size:
            raise DecodeError("RDATA runs past the end of the packet")
        if rtype == _OPT:
            if i < authority or opt is not None:
                raise DecodeError("misplaced or second OPT record")
            opt = (start, end)
        else:
            offsets.append(off + 4 - qend)
            ttls.append(ttl & 0x7FFFFFFF)  # RFC 2181 §8: a TTL with the top bit set means 0
        off = end
    if opt is None:
        body = data[qend:off]
        rel = tuple(offsets)
    elif opt[1] == off:  # the usual place: OPT last, no offset moves
        body = data[qend : opt[0]]
        rel = tuple(offsets)
        ar -= 1
    else:
        body = data[qend : opt[0]] + data[opt[1] : off]
        cut, at = opt[1] - opt[0], opt[0] - qend
        rel = tuple(o - cut if o > at else o for o in offsets)
        ar -= 1
    return Body(flags & KEEP_FLAGS, body, (an, ns, ar), rel, tuple(ttls), bool(flags & TC))


def negative_ttl(body: Body) -> int | None:
    """RFC 2308 §5: min(SOA TTL, SOA MINIMUM) of the authority section's SOA, or None."""
    for rec in body.records:
        if rec.section == 1 and rec.rtype == QType.SOA and len(rec.rdata) >= 20:
            minimum: int = _TTL.unpack_from(rec.rdata, len(rec.rdata) - 4)[0]
            return min(rec.ttl, minimum)
    return None


def build(
    qid: int,
    qflags: int,
    question: bytes,
    body: Body,
    ttls: tuple[int, ...] | None,
    limit: int,
    opt: bytes,
    cached: bool = False,
) -> bytes:
    """The reply for one client: its ID, RD/CD bits and question spelling, `body` with the
    TTL fields set to `ttls` (None: as stored), then `opt`.  When it would not fit `limit`
    the records are dropped and TC is set (RFC 1035 §4.2.1; the client retries over TCP)."""
    flags = QR | RA | (qflags & (RD | CD | 0x7800)) | body.flags
    if cached:  # dnsmasq: cached answers are authoritative only for RD=0 queries
        flags = (flags & ~AA_BIT) | (0 if qflags & RD else AA_BIT)
    an, ns, ar = body.counts
    payload = body.data
    if 12 + len(question) + len(payload) + len(opt) > limit or body.truncated:
        flags |= TC
        if 12 + len(question) + len(payload) + len(opt) > limit:
            an = ns = ar = 0
            payload = b""
    elif ttls is not None and ttls != body.ttls:
        buf = bytearray(payload)
        pack = _TTL.pack_into
        for off, ttl in zip(body.ttl_offsets, ttls, strict=True):
            pack(buf, off, ttl)
        payload = bytes(buf)
    header = HEADER.pack(qid, flags, 1, an, ns, ar + (1 if opt else 0))
    return header + question + payload + opt


def summary(body: Body) -> str:
    """dnsmasq's "reply NAME is ..." value: the first answer, else NXDOMAIN/NODATA/rcode."""
    for rec in body.records:
        if rec.section == 0:
            if rec.rtype in (QType.A, QType.AAAA):
                return str(ipaddress.ip_address(rec.rdata))
            return f"<{qtype_text(rec.rtype)}>"
    rcode = body.rcode
    if rcode == Rcode.NXDOMAIN:
        return "NXDOMAIN"
    return "NODATA" if rcode == Rcode.NOERROR else Rcode(rcode).name if rcode <= 5 else str(rcode)
