"""The DNS answer cache: forwarded replies by question, with explicit `now` (pure, no clock).

dnsmasq options: --cache-size (entries; 0 disables), --no-negcache, --neg-ttl, --max-ttl
(cap on TTLs handed to clients, the cache keeps the true TTL), --max-cache-ttl, --min-cache-ttl
(capped at 3600 s as dnsmasq does).  RFC 2308 §5 negative caching: NXDOMAIN and NODATA are
kept for min(SOA TTL, SOA MINIMUM), or --neg-ttl when the reply has no SOA, else not cached.
RFC 2181 §8: an entry lives as long as its smallest TTL.  Keys are
`qname-lowercase + QTYPE + QCLASS + DO` bytes so the engine's fast path can form them from a
raw query.  Entries are whole reply bodies (see reply.py): a hit rebuilds the reply with
TTLs reduced by the time spent in the cache.  Full cache: the least recently used entry goes
("evictions" counts those still alive, as dnsmasq's evictions.bind).
Which replies are kept (dnsmasq 2.90, checked on the wire): answers to A, AAAA and SRV
questions, PTR questions under in-addr.arpa/ip6.arpa, and NXDOMAIN for any type; never ANY
questions; --cache-rr=<types> adds types, --cache-rr=ANY makes every type cacheable.
--use-stale-cache[=<max excess>]: an expired entry is kept and handed out (every TTL 0) by
`lookup_stale` while it is expired by at most the excess (default one day; 0: no limit); the
resolver then refreshes it upstream in the background, as dnsmasq does.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from lanctl.dns.reply import Body, negative_ttl, summary
from lanctl.dns.wire import QType, Rcode, name_text, qtype_text

MIN_CACHE_TTL_CAP: Final = 3600  # dnsmasq: "limits the value of this option to one hour"
DEFAULT_TYPES: Final = frozenset((QType.A, QType.AAAA, QType.SRV))  # dnsmasq's cached types
_REVERSE: Final = (b"\x07in-addr\x04arpa\x00", b"\x03ip6\x04arpa\x00")


def cache_key(qname_lower: bytes, qtype: int, qclass: int, do: bool) -> bytes:
    """The key of a question: as the fast path builds it from the raw query."""
    return qname_lower + struct.pack("!HH", qtype, qclass) + (b"\x01" if do else b"\x00")


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """The TTL options, in seconds (None: not set)."""

    size: int = 150
    no_negcache: bool = False
    neg_ttl: int | None = None
    max_ttl: int | None = None
    max_cache_ttl: int | None = None
    min_cache_ttl: int = 0
    stale: int | None = None  # --use-stale-cache: None off, 0 no limit, else max excess (s)
    cache_rr: frozenset[int] = frozenset()  # --cache-rr: more types; ANY (255): every type


@dataclass(frozen=True, slots=True)
class Entry:
    """One cached reply: the body, its TTLs as stored, when, until when, and from where."""

    body: Body
    ttls: tuple[int, ...]
    stored: float
    expires: float
    negative: bool
    source: str


@dataclass(frozen=True, slots=True)
class DumpRow:
    """A `lanctl cache dump` line: name, type, first answer, seconds left, flags, source."""

    name: str
    type: str
    value: str
    ttl: int
    flags: str
    source: str


class Cache:
    """LRU map of key -> Entry with counters; every method takes the current time."""

    def __init__(self, policy: CachePolicy) -> None:
        self.policy = policy
        self.size = max(0, policy.size)
        self._all_types = QType.ANY in policy.cache_rr
        self._types = DEFAULT_TYPES | policy.cache_rr
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        # Fast path: key -> (whole seconds in the cache, counts octets, payload for then).
        self._patched: dict[bytes, tuple[int, bytes, bytes]] = {}
        self.insertions = 0
        self.evictions = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    # ---- storing -----------------------------------------------------------------

    def _clamp(self, ttl: int) -> int:
        p = self.policy
        if p.max_cache_ttl is not None:
            ttl = min(ttl, p.max_cache_ttl)
        return max(ttl, min(p.min_cache_ttl, MIN_CACHE_TTL_CAP))

    def lifetime(self, body: Body) -> tuple[int, bool] | None:
        """(seconds to keep, negative?) for a reply, or None when it must not be cached."""
        if body.truncated or body.rcode not in (Rcode.NOERROR, Rcode.NXDOMAIN):
            return None
        answers = [r for r in body.records if r.section == 0]
        if body.rcode == Rcode.NOERROR and answers:
            life = self._clamp(min(r.ttl for r in answers))
            return (life, False) if life > 0 else None
        if self.policy.no_negcache:
            return None
        neg = negative_ttl(body)
        if neg is None:
            neg = self.policy.neg_ttl
        if neg is None:
            return None
        life = self._clamp(neg)
        return (life, True) if life > 0 else None

    def caches_type(self, key: bytes) -> bool:
        """Whether answers to the question of `key` may be kept (--cache-rr)."""
        qtype = int.from_bytes(key[-5:-3], "big")
        if qtype == QType.ANY:
            return False
        if self._all_types or qtype in self._types:
            return True
        return qtype == QType.PTR and key[:-5].endswith(_REVERSE)

    def store(self, key: bytes, body: Body, now: float, source: str) -> bool:
        """Cache a forwarded reply; False when it is not cacheable or the cache is off."""
        if self.size == 0:
            return False
        if body.rcode != Rcode.NXDOMAIN and not self.caches_type(key):
            return False
        life = self.lifetime(body)
        if life is None:
            return False
        seconds, negative = life
        ttls = tuple(min(self._clamp(t), seconds) if negative else self._clamp(t)
                     for t in body.ttls)  # fmt: skip
        entries = self._entries
        if key in entries:
            del entries[key]
        elif len(entries) >= self.size:
            old_key, old = entries.popitem(last=False)
            self._patched.pop(old_key, None)
            if old.expires > now:
                self.evictions += 1
        entries[key] = Entry(body, ttls, now, now + seconds, negative, source)
        self._patched.pop(key, None)
        self.insertions += 1
        return True

    # ---- reading -----------------------------------------------------------------

    def holds(self, key: bytes, now: float) -> bool:
        """Whether `key` has an entry that lookup() would hand out (nothing is counted)."""
        entry = self._entries.get(key)
        return entry is not None and entry.expires > now

    def lookup(self, key: bytes, now: float) -> tuple[Body, tuple[int, ...]] | None:
        """The body and the TTLs to hand out now (reduced, capped by --max-ttl), or None."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires <= now:
            if not self._servable_stale(entry, now):
                del self._entries[key]
                self._patched.pop(key, None)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        elapsed = int(now - entry.stored)
        cap = self.policy.max_ttl
        if elapsed <= 0 and cap is None:
            return entry.body, entry.ttls
        if cap is None:
            return entry.body, tuple(max(0, t - elapsed) for t in entry.ttls)
        return entry.body, tuple(min(cap, max(0, t - elapsed)) for t in entry.ttls)

    def _servable_stale(self, entry: Entry, now: float) -> bool:
        limit = self.policy.stale
        return limit is not None and (limit == 0 or now - entry.expires <= limit)

    def lookup_stale(self, key: bytes, now: float) -> tuple[Body, tuple[int, ...]] | None:
        """--use-stale-cache: an expired entry still within the allowed excess, with every
        TTL 0 (what dnsmasq hands out while it refreshes the entry), else None."""
        entry = self._entries.get(key)
        if entry is None or entry.expires > now or not self._servable_stale(entry, now):
            return None
        self._entries.move_to_end(key)
        return entry.body, (0,) * len(entry.ttls)

    def fast(self, key: bytes, now: float, room: int) -> tuple[int, bytes, bytes] | None:
        """For the engine's fast path: (upstream flags, AN/NS/AR count octets, records with
        the TTLs of this second), or None (not cached, expired, truncated, or longer than
        `room` bytes: the full path decides).  The patched records are reused while the age
        in whole seconds is unchanged."""
        entry = self._entries.get(key)
        if entry is None or entry.expires <= now or entry.body.truncated:
            return None
        if len(entry.body.data) > room:
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        age = int(now - entry.stored)
        done = self._patched.get(key)
        if done is not None and done[0] == age:
            return entry.body.flags, done[1], done[2]
        body = entry.body
        cap = self.policy.max_ttl
        buf = bytearray(body.data)
        for off, ttl in zip(body.ttl_offsets, entry.ttls, strict=True):
            left = max(0, ttl - age)
            struct.pack_into("!I", buf, off, left if cap is None else min(cap, left))
        counts = struct.pack("!HHH", *body.counts)
        payload = bytes(buf)
        self._patched[key] = (age, counts, payload)
        return body.flags, counts, payload

    def client_ttls(self, body: Body) -> tuple[int, ...] | None:
        """TTLs for a reply passed on straight from upstream: --max-ttl applied (None: as is)."""
        cap = self.policy.max_ttl
        if cap is None or all(t <= cap for t in body.ttls):
            return None
        return tuple(min(t, cap) for t in body.ttls)

    def dump(self, now: float) -> list[DumpRow]:
        """Every live entry, oldest use first."""
        rows: list[DumpRow] = []
        for key, entry in self._entries.items():
            left = int(entry.expires - now)
            if left <= 0:
                continue
            qtype, _ = struct.unpack_from("!HH", key, len(key) - 5)
            flags = "F"
            if entry.negative:
                flags += "NX" if entry.body.rcode == Rcode.NXDOMAIN else "N"
            if key[-1]:
                flags += "D"
            value = summary(entry.body)
            rows.append(
                DumpRow(name_text(key[:-5]), qtype_text(qtype), value, left, flags, entry.source)
            )
        return rows

    def clear(self) -> int:
        """Forget everything (SIGHUP, --clear-on-reload, `lanctl cache clear`); the count."""
        n = len(self._entries)
        self._entries.clear()
        self._patched.clear()
        return n
