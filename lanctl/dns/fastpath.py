"""The DNS fast path (ARCHITECTURE §5): plain UDP queries answered from pre-rendered bytes.

A plain query (QR=0, opcode 0, QDCOUNT=1, no other records) whose answer is already rendered
is answered without parsing: the question's bytes (lowercased name + raw QTYPE/QCLASS) key a
dict of local answers (the engine fills it as it renders positive answers that fit 512
bytes; rotating ones keep their Rotor, --no-round-robin aside), then the cache's
per-second patched replies (`Cache.fast`).  The reply is the client's ID, flag octets
from a table, the stored counts, the client's question (its case) and the stored records.
The raw question is tried first as a key: it is one when the client spelled the name in
lower case.  The name ends at the first zero octet; a zero inside a binary label gives a
slice that is not a well-formed name and so never matches a key.  None: take the full path.
"""

from __future__ import annotations

from typing import Final

from lanctl.dns.answers import Rotor
from lanctl.dns.cache import Cache
from lanctl.dns.wire import MIN_UDP

PLAIN_COUNTS: Final = b"\x00\x01\x00\x00\x00\x00\x00\x00"  # QD=1, AN=NS=AR=0 (plainfwd.py too)
# Flag octets of a local answer (QR AA, RD copied; RA, CD copied), indexed by the query's
# (RD bit | CD bit).
_LOCAL_FLAGS: Final = tuple(bytes((0x84 | (i & 0x01), 0x80 | (i & 0x10))) for i in range(0x11 + 1))
# Flag octets and QDCOUNT of a cached answer, indexed by ((CD bit of the query | AD and
# RCODE bits of the upstream reply) << 1 | RD bit of the query): QR, RD copied, RA, AA
# only without RD.
_CACHED_FLAGS: Final = tuple(
    bytes((0x80 | (i & 1) | (0 if i & 1 else 0x04), 0x80 | (i >> 1), 0, 1)) for i in range(128)
)


class FastPath:
    """Pre-rendered local answers by question key, the cache's fast lookups, hit counters."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.local: dict[bytes, tuple[bytes, bytes]] = {}  # key -> (count octets, records)
        self.rotating: dict[bytes, tuple[bytes, Rotor]] = {}  # the same, round-robin
        self.hits = 0
        self.cache_hits = 0  # the part of `hits` answered from the cache

    def clear(self) -> None:
        self.local.clear()
        self.rotating.clear()

    def query(self, data: bytes, now: float) -> bytes | None:
        """The reply to a plain UDP query already rendered, or None (see the docstring)."""
        if data[4:12] != PLAIN_COUNTS or data[2] & 0xF8:
            return None
        end = data.find(0, 12) + 5
        if end <= 16 or len(data) < end:
            return None
        question = data[12:end]
        hit = self.local.get(question)
        if hit is not None:
            self.hits += 1
            return (
                data[:2]
                + _LOCAL_FLAGS[(data[2] & 0x01) | (data[3] & 0x10)]
                + hit[0]
                + (question + hit[1])
            )
        reply = self._more(data, question, question, end, now)
        if reply is None:
            key = data[12 : end - 4].lower() + data[end - 4 : end]
            if key != question:
                reply = self._more(data, question, key, end, now)
        return reply

    def _more(self, data: bytes, question: bytes, key: bytes, end: int, now: float) -> bytes | None:
        """`query` for `key` past the plain local answers: local answers (mixed-case
        queries), rotating local answers, then the cache."""
        hit = self.local.get(key) if key is not question else None
        if hit is None and self.rotating:
            rot = self.rotating.get(key)
            if rot is not None:
                hit = (rot[0], rot[1].step().rrs)
        if hit is not None:
            self.hits += 1
            return (
                data[:2]
                + _LOCAL_FLAGS[(data[2] & 0x01) | (data[3] & 0x10)]
                + hit[0]
                + (question + hit[1])
            )
        if self.cache.size:
            cached = self.cache.fast(key + b"\x00", now, MIN_UDP - end)
            if cached is not None:
                self.hits += 1
                self.cache_hits += 1
                flags = _CACHED_FLAGS[(((data[3] & 0x10) | (cached[0] & 0x2F)) << 1) | data[2] & 1]
                return data[:2] + flags + cached[1] + (question + cached[2])
        return None
