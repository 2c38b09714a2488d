"""The forwarding short cut: plain UDP queries for names already known to go upstream.

The full path (engine._full_query, then Resolver.query) decodes a query, looks its name up
in the local data, runs the query filters, finds the --server route, asks the cache and
only then submits the question to the forwarder.  When none of the per-query steps can
change the outcome — no --log-queries, no query filter (domain-needed, bogus-priv,
filterwin2k, filter-*), no EDNS client info, no --use-stale-cache, no --dns-loop-detect —
the outcome for a plain query (QR=0, opcode 0, QDCOUNT=1, no other records, so no EDNS)
depends on its question alone.  The full path then remembers the route of each question it
forwarded (`remember`), and the next plain query for that question goes straight to the
forwarder (`forward`): the same Waiter, the same forwarder key, the same counters.

The memory is dropped whenever its premises change: the routes (SIGHUP, resolv.conf,
--servers-file), the local data (hosts files, DHCP leases: a name may become local), a full
memory (MEMO_MAX).  A cached answer is never skipped: a question the cache holds takes the
full path, which answers it (the fast path before it answers most of those already).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from lanctl.dns.cache import Cache
from lanctl.dns.fastpath import PLAIN_COUNTS
from lanctl.dns.forward import Forwarder, Waiter
from lanctl.dns.upstreams import Upstream

MEMO_MAX: Final = 65536  # questions remembered; emptied when full

# (route, cache key, forwarder key with CD clear, forwarder key with CD set)
Entry = tuple[tuple[Upstream, ...], bytes, bytes, bytes]
NOT_MINE: Final = 0  # forward(): take the full path
SENT: Final = 1  # forwarded (or joined an identical question in flight)
DROPPED: Final = 2  # the forwarder's table is full (--dns-forward-max)


class PlainForwards:
    """Routes of questions already forwarded, for plain UDP queries (module docstring)."""

    def __init__(
        self,
        fwd: Forwarder,
        cache: Cache,
        counters: dict[str, int],
        dropped: Callable[[], None],
    ) -> None:
        self.fwd = fwd
        self.cache = cache
        self.counters = counters
        self.dropped = dropped  # the table is full: count and log as the full path does
        self.memo: dict[bytes, Entry] = {}

    def clear(self) -> None:
        self.memo.clear()

    def remember(self, key: bytes, route: tuple[Upstream, ...], route_tag: bytes) -> None:
        """The full path forwarded a plain-eligible query: `key` is its question with the
        name lowercased (QTYPE and QCLASS as sent), `route_tag` what the forwarder key
        carries for `route`."""
        memo = self.memo
        if len(memo) >= MEMO_MAX:
            memo.clear()
        ckey = key + b"\x00"  # the cache key: DO clear
        memo[key] = (route, ckey, ckey + b"\x00" + route_tag, ckey + b"\x01" + route_tag)

    def forward(self, data: bytes, dest: object, now: float) -> int:
        """Forward a plain query whose question is remembered: SENT, DROPPED, or NOT_MINE
        (take the full path)."""
        if data[4:12] != PLAIN_COUNTS or data[2] & 0xF8:
            return NOT_MINE
        end = data.find(0, 12) + 5
        if end <= 16 or len(data) < end:
            return NOT_MINE
        entry = self.memo.get(data[12 : end - 4].lower() + data[end - 4 : end])
        if entry is None:
            return NOT_MINE
        route, ckey, fkey, fkey_cd = entry
        cache = self.cache
        if cache.size:
            if cache.holds(ckey, now):
                return NOT_MINE
            cache.misses += 1
        flags = (data[2] << 8) | data[3]
        if flags & 0x0010:
            fkey = fkey_cd
        question = data[12:end]
        waiter = Waiter(dest, (data[0] << 8) | data[1], flags, question, 0, False, "udp")
        counters = self.counters
        counters["queries"] += 1
        if not self.fwd.submit(fkey, question, flags, False, route, waiter, now):
            self.dropped()
            return DROPPED
        counters["forwarded"] += 1
        return SENT
