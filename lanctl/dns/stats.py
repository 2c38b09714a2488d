"""dnsmasq 2.90's SIGUSR1 statistics lines for the DNS service, and the per-server counters.

Order and wording as dnsmasq logs them: "time <epoch>", cache size and insertions, queries
forwarded / answered locally, authoritative zones, the three DNSSEC high-water marks (0:
lanctl does not validate; dnsmasq prints them without --dnssec too), the TCP line, then one
line per upstream server with queries sent, retried, failed, NXDOMAIN replies and the
average latency of its answers.  dnsmasq's "pool memory" line describes its own C block
allocator; lanctl has no such pool and does not print the line (made-up numbers would
mislead).  With --log-queries the cache dump follows (cachedump.py).
Also the engine's counters as the control socket shows them (`engine_stats`); the fast path
counts its answers itself and they are added here rather than per packet.
TCP: dnsmasq answers TCP queries in child processes whose counts never reach the parent
(checked: TCP queries, local, cached or forwarded, are missing from "queries forwarded /
answered locally" and from hits.bind/misses.bind, while the cache insertions they cause are
counted).  lanctl counts them apart (`tcp_counted`: tcp_hits, tcp_forwarded) and leaves them
out of those lines and names as dnsmasq does; the control socket's totals still hold them.
The per-server lines leave out upstream queries a TCP client started (forward.py).
Known differences: "failed" counts SERVFAIL/REFUSED replies in both (not
timeouts, ICMP or send errors); a query that could not be sent counts as "sent" here, not
in dnsmasq; insertions count replies here, records in dnsmasq.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lanctl.dns.cache import Cache
from lanctl.dns.fastpath import FastPath
from lanctl.dns.forward import Forwarder
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import Rcode


class ServerStats:
    """Per-server NXDOMAIN replies and latency of accepted answers (seconds summed)."""

    __slots__ = ("latency", "nxdomain")

    def __init__(self) -> None:
        self.nxdomain: dict[Upstream, int] = {}
        self.latency: dict[Upstream, list[float]] = {}  # server -> [sum of seconds, count]

    def answered(self, server: Upstream, rcode: int, seconds: float) -> None:
        """`server` answered a forwarded query after `seconds`."""
        if rcode == Rcode.NXDOMAIN:
            self.nxdomain[server] = self.nxdomain.get(server, 0) + 1
        acc = self.latency.get(server)
        if acc is None:
            self.latency[server] = [seconds, 1.0]
        else:
            acc[0] += seconds
            acc[1] += 1

    def average_ms(self, server: Upstream) -> int:
        """Mean latency of `server`'s answers in whole milliseconds (0: none yet)."""
        acc = self.latency.get(server)
        return int(acc[0] * 1000 / acc[1]) if acc else 0


def server_lines(
    servers: Iterable[Upstream],
    sent: Mapping[Upstream, int],
    retried: Mapping[Upstream, int],
    failed: Mapping[Upstream, int],
    stats: ServerStats,
) -> list[str]:
    """dnsmasq's "server A#P: queries sent ..." line of each server."""
    return [
        f"server {s.label}: queries sent {sent.get(s, 0)}, retried {retried.get(s, 0)}, "
        f"failed {failed.get(s, 0)}, nxdomain replies {stats.nxdomain.get(s, 0)}, "
        f"avg. latency {stats.average_ms(s)}ms"
        for s in servers
    ]


def head_lines(
    epoch: int, cache_size: int, reused: int, insertions: int, forwarded: int, local: int
) -> list[str]:
    """The lines before the TCP line."""
    return [
        f"time {epoch}",
        f"cache size {cache_size}, {reused}/{insertions} cache insertions re-used unexpired "
        "cache entries.",
        f"queries forwarded {forwarded}, queries answered locally {local}",
        "queries for authoritative zones 0",
        "DNSSEC per-query subqueries HWM 0",
        "DNSSEC per-query crypto work HWM 0",
        "DNSSEC per-RRSet signature fails HWM 0",
    ]


def tcp_line(in_use: int, highest: int, limit: int) -> str:
    return (
        f"child processes for TCP requests: in use {in_use}, highest since last SIGUSR1 "
        f"{highest}, max allowed {limit}."
    )


def engine_stats(
    counters: Mapping[str, int],
    cache: Cache,
    fwd: Forwarder,
    fast: FastPath,
    *,
    cache_size: int,
    local_names: int,
    prerendered: int,
) -> dict[str, int]:
    """DnsEngine.stats(): counters for the control socket, SIGUSR1 and the CHAOS names."""
    out = {
        "cachesize": cache_size,
        "insertions": cache.insertions,
        "evictions": cache.evictions,
        "misses": counters["forwarded"],
        "cached": len(cache),
        "in_flight": len(fwd),
        "auth": 0,
        "local_names": local_names,
        "prerendered": prerendered,
    }
    out.update(counters)
    # Fast-path answers are counted here rather than per packet.
    for name in ("queries", "hits"):
        out[name] += fast.hits
    out["local_answers"] += fast.hits - fast.cache_hits
    out["cache_hits"] += fast.cache_hits
    out.update({f"upstream_{k}": v for k, v in fwd.counters.items()})
    return out


def engine_lines(
    counters: Mapping[str, int], cache: Cache, fast: FastPath, cache_size: int, tcp: str | None
) -> list[str]:
    """DnsEngine.log_stats() up to the server lines; `tcp`: the adapter's TCP line."""
    answered = counters["hits"] + fast.hits - counters["tcp_hits"]
    forwarded = counters["forwarded"] - counters["tcp_forwarded"]  # dnsmasq: UDP only
    lines = head_lines(
        int(time.time()), cache_size, cache.evictions, cache.insertions, forwarded, answered
    )
    if tcp is not None:
        lines.append(tcp)
    return lines


def tcp_counted(
    counters: dict[str, int],
    fwd: Forwarder,
    full_query: Callable[..., bytes | None],
    data: bytes,
    peer: Any,
    now: float,
    dest: object,
    net: object,
) -> bytes | None:
    """Answer a TCP query with `full_query`, adding what it counted as answered or forwarded
    to tcp_hits / tcp_forwarded as well (dnsmasq's SIGUSR1 totals leave TCP queries out);
    an upstream query it started stays out of the per-server counters (Forwarder.mark_tcp)."""
    hits, forwarded = counters["hits"], counters["forwarded"]
    started, sends = fwd.counters["forwarded"], len(fwd.sends)
    reply = full_query(data, peer, now, "tcp", dest, net)
    if fwd.counters["forwarded"] != started:
        fwd.mark_tcp(sends)
    counters["tcp_hits"] += counters["hits"] - hits
    counters["tcp_forwarded"] += counters["forwarded"] - forwarded
    return reply
