"""Pre-rendered DNS answers and the reply builder of the fast path (ARCHITECTURE §5).

A `Rendered` answer holds the answer RRs as wire bytes whose owner names are all a
compression pointer to the question (0xC00C, RFC 1035 §4.1.4), so one rendering serves every
client: the reply is the client's ID and question (its case echoed back, as dnsmasq does)
plus the stored RRs plus an OPT record when the query had EDNS (RFC 6891 §7).  Truncation
(RFC 1035 §4.2.1, RFC 6891 §6.2.5): as many whole RRs as fit the limit, then TC=1, as dnsmasq.
Round-robin (dnsmasq's default, off with --no-round-robin): a `Rotor` holds the rotations of
a multi-address hosts answer, pre-rendered, and each use answers the next one (left by one RR).
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, replace
from typing import Final

from lanctl.dns.local import LocalAnswer
from lanctl.dns.wire import AA, CD, HEADER, QR, RA, RD, TC, QClass, QType, Query, name_text

_RR_HEAD: Final = struct.Struct("!HHHIH")  # owner pointer, type, class, TTL, RDLENGTH
_RR_TAIL: Final = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH after an owner name
_QNAME_POINTER: Final = 0xC00C
ROTATE_PRERENDER: Final = 64  # larger rotating answers are rendered per query
NAME_MARK: Final = "\0"  # replaced by the client's spelling of the name in log lines


@dataclass(frozen=True, slots=True)
class Rendered:
    """An answer ready to send: header bits, RR bytes, RR end offsets, log line templates."""

    flags: int  # AA and RCODE; QR/RD/CD/RA are added per query
    rrs: bytes
    ends: tuple[int, ...]  # cumulative end offset of each RR inside `rrs`
    logs: tuple[str, ...]  # dnsmasq log lines; NAME_MARK stands for the queried name
    rotor: Rotor | None = None  # set on the memoised head of a round-robin answer


class Rotor:
    """The successive orders of a round-robin answer: rotation k starts at the k-th record
    (dnsmasq 2.90 moves the first record answered to the end of its list: checked with dig).
    Mutable by design: one position per (name, type), shared by the fast and full paths."""

    __slots__ = ("_ans", "_next", "_qtype", "_variants")

    def __init__(self, ans: LocalAnswer, qtype: int) -> None:
        self._ans = ans
        self._qtype = qtype
        n = len(ans.rrs)
        self._variants = tuple(self._render(k) for k in range(n)) if n <= ROTATE_PRERENDER else ()
        self._next = 0

    def _render(self, k: int) -> Rendered:
        rrs = self._ans.rrs
        return render_local(replace(self._ans, rrs=rrs[k:] + rrs[:k]), self._qtype)

    def step(self) -> Rendered:
        """The answer for this query; the next query gets the following rotation."""
        k = self._next
        self._next = (k + 1) % len(self._ans.rrs)
        return self._variants[k] if self._variants else self._render(k)


def render_local(ans: LocalAnswer, qtype: int) -> Rendered:
    """Render a local answer (class IN).  Positive answers are authoritative (AA), as dnsmasq."""
    parts: list[bytes] = []
    ends: list[int] = []
    logs: list[str] = []
    size = 0
    for rr in ans.rrs:
        if rr.owner:  # a CNAME's target: its own name, uncompressed
            head = rr.owner + _RR_TAIL.pack(rr.rtype, QClass.IN, rr.ttl, len(rr.rdata))
        else:
            head = _RR_HEAD.pack(_QNAME_POINTER, rr.rtype, QClass.IN, rr.ttl, len(rr.rdata))
        rec = head + rr.rdata
        parts.append(rec)
        size += len(rec)
        ends.append(size)
        owner = name_text(rr.owner) if rr.owner else NAME_MARK
        if rr.rtype == QType.PTR and rr.source != "config":
            logs.append(f"{rr.source} {rr.text} is {name_text(rr.rdata)}")
        else:
            logs.append(f"{rr.source} {owner} is {rr.text}")
    if not ans.rrs:
        logs.append(f"config {NAME_MARK} is {ans.what}")
    flags = (AA if ans.rrs else 0) | ans.rcode
    return Rendered(flags, b"".join(parts), tuple(ends), tuple(logs))


def render_rotating(ans: LocalAnswer, qtype: int) -> Rendered:
    """The memo entry of a round-robin answer: its first order, carrying the Rotor."""
    rotor = Rotor(ans, qtype)
    return replace(render_local(ans, qtype), rotor=rotor)


def render_txt(text: str, qclass: int, ttl: int = 0) -> Rendered:
    """A one-string TXT answer (the CHAOS *.bind names), authoritative, as dnsmasq."""
    raw = text.encode()[:255]
    rdata = bytes([len(raw)]) + raw
    rec = _RR_HEAD.pack(_QNAME_POINTER, QType.TXT, qclass, ttl, len(rdata)) + rdata
    return Rendered(AA, rec, (len(rec),), (f"config {NAME_MARK} is <TXT>",))


def render_empty(rcode: int, aa: bool, log: str) -> Rendered:
    """An answer with no RRs (NODATA when rcode is 0)."""
    return Rendered((AA if aa else 0) | rcode, b"", (), (log,))


def build_reply(data: bytes, q: Query, r: Rendered, limit: int, opt: bytes) -> bytes:
    """The reply to `q` (raw `data`) carrying `r`, at most `limit` bytes; `opt` is b"" or an
    OPT record (only for EDNS queries)."""
    flags = QR | (q.flags & (RD | CD)) | RA | r.flags
    rrs = r.rrs
    count = len(r.ends)
    room = limit - q.question_end - len(opt)
    if count and r.ends[-1] > room:
        count = bisect.bisect_right(r.ends, room)
        rrs = rrs[: r.ends[count - 1]] if count else b""
        flags |= TC
    header = HEADER.pack(q.id, flags, 1, count, 0, 1 if opt else 0)
    return header + data[12 : q.question_end] + rrs + opt


def is_truncated(reply: bytes) -> bool:
    """True when the reply has TC set."""
    return bool(reply[2] & (TC >> 8))
