"""Python cost of one forwarded (uncached) DNS query, without sockets.

    python3 bench/dns_forward_engine.py [QUERIES] [--cache] [--profile]

Drives the sans-IO engine the way the server does under bench/dns.sh's dnsperf load: 100
names cycled (so identical questions in flight are coalesced, as there), batches of STEP
client queries (plain UDP, no EDNS), the upstream sends the engine asks for answered
LATENCY batches later (A record, TTL 300, with an OPT as a real server adds), then the
client replies.  Reports microseconds of Python per client query; the kernel's part
(sendto, recvmmsg) and the socket adapter are what bench/dns.sh adds on top.  --cache
keeps a cache (most queries then hit it); without it cache-size=0, as bench/dns.sh's
"uncached" line.  A benchmark reports; it is not a test and is not run in CI.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import sys
import time

from lanctl.config.grammar.dns import server_spec
from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.local import LocalData
from lanctl.dns.wire import HEADER
from lanctl.errors import Where

NAMES = 100  # bench/dns.sh: n1..n100.fwd.example, cycled
STEP = 20  # client queries per receive batch
LATENCY = 5  # batches before the upstream answers (about 100 queries in flight)


def make_query(i: int) -> bytes:
    labels = (b"n%d" % (i % NAMES), b"fwd", b"example")
    name = b"".join(bytes((len(p),)) + p for p in labels) + b"\0"
    return HEADER.pack(i & 0xFFFF, 0x0100, 1, 0, 0, 0) + name + b"\x00\x01\x00\x01"


def upstream_reply(sent: bytes) -> bytes:
    """What a server answers to `sent`: its question, one A record, an OPT record."""
    qend = sent.index(b"\0", 12) + 5
    head = HEADER.pack(int.from_bytes(sent[:2], "big"), 0x8180, 1, 1, 0, 1)
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xcb\x00\x71\x0a"
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    return head + sent[12:qend] + answer + opt


def run(n: int, cache: bool) -> float:
    servers = (server_spec("198.51.100.53", Where("bench", 1, "server")),)
    cfg = DnsCfg(no_resolv=True, server=servers, cache_size=150 if cache else 0)
    e = DnsEngine(cfg, LocalData(), rng=random.Random(1))
    queries = [make_query(i) for i in range(n)]
    peer = ("192.0.2.250", 5353)
    dest = (None, peer)
    now = 0.0
    fast, full = e.fast_query, e.full_query
    in_flight: list[list[tuple[int, bytes]]] = []
    answered = 0
    t0 = time.perf_counter()
    for start in range(0, n, STEP):
        for data in queries[start : start + STEP]:
            if fast(data, now) is not None or full(data, peer, now, "udp", dest):
                answered += 1  # answered at once (cache); b"" (FORWARDED) is falsy
        sends, _, _ = e.take_actions()
        in_flight.append([(x.token, upstream_reply(x.data)) for x in sends])
        if len(in_flight) > LATENCY:
            for token, reply in in_flight.pop(0):
                e.on_upstream(token, reply, now)
        answered += len(e.take_actions()[2])
        now += 0.001
    for batch in in_flight:
        for token, reply in batch:
            e.on_upstream(token, reply, now)
    answered += len(e.take_actions()[2])
    assert answered == n, (answered, n)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 100_000
    cache = "--cache" in sys.argv
    if "--profile" in sys.argv:
        prof = cProfile.Profile()
        prof.enable()
        run(n, cache)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    best = min(run(n, cache) for _ in range(5))
    print(f"forwarded query, {'cache on' if cache else 'cache-size=0'}: {best:.2f} us (best of 5)")


if __name__ == "__main__":
    main()
