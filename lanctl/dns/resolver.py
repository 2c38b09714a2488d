"""The upstream half of the DNS engine: filters, cache, forwarder, and answers from upstream.

Called by `DnsEngine.on_query` for class-IN questions local data does not answer.  Order
(ARCHITECTURE §2.7): query filters (filters.py), the --server/--local route (upstreams.py;
local-only names: NXDOMAIN; no server: REFUSED + EDE 14 as dnsmasq), the cache (cache.py),
then the forwarder (forward.py).  Replies from upstream go through the rebinding check,
into the cache, and out to every waiting client with its own ID, question case, EDNS OPT
and size limit (reply.build; too large for the client: TC, RFC 1035 §4.2.1).  Per-server
"sent"/"failed" counters feed CHAOS servers.bind ("addr#port sent failed", as dnsmasq).
"""

from __future__ import annotations

import random
import struct
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns import reply as rpl
from lanctl.dns.cache import Cache, CachePolicy, cache_key
from lanctl.dns.filters import FilterPolicy, Filters
from lanctl.dns.forward import Done, Forwarder, ForwardPolicy, Send, Waiter
from lanctl.dns.rewrite import ReplyRewrite
from lanctl.dns.upstreams import LOCAL, Routes
from lanctl.dns.wire import (
    CD,
    HEADER,
    MIN_UDP,
    Ede,
    Query,
    Rcode,
    error_reply,
    name_text,
    qtype_text,
    reply_flags,
)

FORWARDED: Final = b""  # on_query: the answer will come later through take_actions()
TCP_LIMIT: Final = 65535  # RFC 1035 §4.2.2 two-octet length prefix
REFUSED_LOG: Final = "config error is REFUSED (EDE: not ready)"


class Resolver:
    """Cache + forwarder state of one engine; shares the engine's counters and log list."""

    def __init__(
        self,
        cfg: DnsCfg,
        rng: random.Random,
        edns_max: int,
        opts: dict[tuple[bool, bool], bytes],
        counters: dict[str, int],
        logs: list[str],
    ) -> None:
        self.edns_max = edns_max
        self.opts = opts
        self.counters = counters
        self.logs = logs
        self.log_queries = cfg.log_queries
        self.cache = Cache(
            CachePolicy(
                cfg.cache_size, cfg.no_negcache, cfg.neg_ttl, cfg.max_ttl, cfg.max_cache_ttl,
                cfg.min_cache_ttl,
            )
        )  # fmt: skip
        self.fwd = Forwarder(
            ForwardPolicy(
                max(1, cfg.dns_forward_max), cfg.strict_order, cfg.all_servers,
                cfg.fast_dns_retry, edns_max,
            ),
            rng,
        )  # fmt: skip
        self.filters = Filters(
            FilterPolicy(
                cfg.domain_needed, cfg.bogus_priv, cfg.filterwin2k, cfg.filter_a,
                cfg.filter_aaaa, cfg.stop_dns_rebind, cfg.rebind_localhost_ok,
                cfg.rebind_domain_ok,
            )
        )  # fmt: skip
        self.rewrite = ReplyRewrite(cfg)
        if self.rewrite.ignore_nets:
            self.fwd.ignore = self.rewrite.ignored
        self.routes = Routes(cfg.server)
        self.replies: list[tuple[object, bytes]] = []
        for name in ("cache_hits", "forwarded", "filtered", "rebind_blocked"):
            counters.setdefault(name, 0)

    def _limit(self, edns_size: int, transport: str) -> int:
        if transport == "tcp":
            return TCP_LIMIT
        return min(edns_size, self.edns_max) if edns_size else MIN_UDP

    def query(
        self,
        data: bytes,
        q: Query,
        peer: tuple[object, ...],
        now: float,
        transport: str,
        dest: object,
    ) -> bytes | None:
        """Filters, cache, then the forwarder, for a class-IN question local data left alone."""
        c = self.counters
        name = name_text(q.qname) if self.log_queries else ""
        if self.log_queries:
            self.logs.append(f"query[{qtype_text(q.qtype)}] {name} from {peer[0]}")
        verdict = self.filters.check_query(q.qname_lower, q.qtype) if self.filters.active else None
        route = self.routes.route(q.qname_lower)
        if verdict is not None or route == LOCAL:
            rcode = verdict.rcode if verdict is not None else Rcode.NXDOMAIN
            c["filtered" if verdict is not None else "nxdomain"] += 1
            c["hits"] += 1
            if self.log_queries:
                what = verdict.what if verdict is not None else "NXDOMAIN"
                self.logs.append(f"config {name} is {what}")
            out = error_reply(data, q, rcode, edns_size=self.edns_max)
            if verdict is not None and verdict.aa:
                out = out[:2] + bytes((out[2] | 0x04,)) + out[3:]
            return out
        if not route:
            c["hits"] += 1
            c["refused"] += 1
            if self.log_queries:
                self.logs.append(REFUSED_LOG)
            return error_reply(data, q, Rcode.REFUSED, edns_size=self.edns_max,
                               ede=Ede.NOT_READY)  # fmt: skip
        question = data[12 : q.question_end]
        ckey = cache_key(q.qname_lower, q.qtype, q.qclass, q.do)
        cached = self.cache.lookup(ckey, now) if self.cache.size else None
        if cached is not None:
            c["hits"] += 1
            c["cache_hits"] += 1
            body, ttls = cached
            if self.log_queries:
                self.logs.append(f"cached {name} is {rpl.summary(body)}")
            opt = self.opts[(q.do, False)] if q.edns_size else b""
            limit = self._limit(q.edns_size, transport)
            return rpl.build(q.id, q.flags, question, body, ttls, limit, opt, True)
        waiter = Waiter(dest, q.id, q.flags, question, q.edns_size, q.do, transport)
        assert not isinstance(route, str)
        fkey = ckey + bytes((bool(q.flags & CD),)) + str(id(route)).encode()
        if not self.fwd.submit(fkey, question, q.flags, q.do, route, waiter, now):
            c["dropped"] += 1
            limit = self.fwd.policy.forward_max
            self.logs.append(f"Maximum number of concurrent DNS queries reached (max: {limit})")
            return None
        c["forwarded"] += 1
        if self.log_queries:
            for send in self.fwd.sends:
                self.logs.append(f"forwarded {name} to {send.server.address}")
        return FORWARDED

    # ---- upstream events ---------------------------------------------------------

    def on_upstream(self, token: int, data: bytes, now: float) -> None:
        """A datagram arrived on the socket of upstream query `token`."""
        done = self.fwd.on_reply(token, data, now)
        if done is not None:
            self._deliver(done, now)

    def on_upstream_error(self, token: int, now: float) -> None:
        """The socket of upstream query `token` failed (ICMP unreachable, send error)."""
        done = self.fwd.on_error(token, now)
        if done is not None:
            self._deliver(done, now)

    def next_deadline(self) -> float | None:
        """When on_timer next has work (monotonic seconds), or None."""
        return self.fwd.next_deadline()

    def on_timer(self, now: float) -> None:
        """Retries and SERVFAIL for queries past their deadline."""
        for done in self.fwd.on_timer(now):
            self._deliver(done, now)

    def take(self) -> tuple[list[Send], list[int], list[tuple[object, bytes]]]:
        """(upstream sends, upstream tokens to close, (dest, reply) for clients) since the
        last call."""
        sends, closes = self.fwd.take()
        replies = self.replies[:]
        self.replies.clear()
        return sends, closes, replies

    def has_actions(self) -> bool:
        return bool(self.fwd.sends or self.fwd.closes or self.replies)

    def servers_txt(self) -> bytes | None:
        """RDATA of servers.bind: one string "addr#port sent failed" per server, or None."""
        servers = self.routes.all_servers()
        if not servers:
            return None
        fwd = self.fwd
        texts = [
            f"{s.label} {fwd.sent.get(s, 0)} {fwd.failed.get(s, 0)}".encode()[:255] for s in servers
        ]
        return b"".join(bytes([len(t)]) + t for t in texts)[:65535]

    def log_stats(self) -> list[str]:
        """SIGUSR1 lines about the upstream servers."""
        fwd = self.fwd
        return [
            f"server {s.label}: queries sent {fwd.sent.get(s, 0)}, retried or failed "
            f"{fwd.failed.get(s, 0)}"
            for s in self.routes.all_servers()
        ]

    def _deliver(self, done: Done, now: float) -> None:
        p, body = done.pending, done.body
        qname = p.question[:-4].lower()
        text = name_text(qname) if self.log_queries else ""
        if body is None:
            self.counters["servfail"] += 1
            for w in p.waiters:
                opt = self.opts[(w.do, False)] if w.edns_size else b""
                flags = reply_flags(w.qflags, Rcode.SERVFAIL)
                head = HEADER.pack(w.qid, flags, 1, 0, 0, 1 if opt else 0)
                self.replies.append((w.dest, head + w.question + opt))
            if self.log_queries:
                self.logs.append(f"reply {text} is SERVFAIL")
            return
        stripped = self.filters.filtered(body) if self.filters.strips else None
        bogus = self.rewrite.active and self.rewrite.bogus(body)
        if bogus:  # --bogus-nxdomain: NXDOMAIN, not authoritative, not cached
            self.counters["filtered"] += 1
            if self.log_queries:
                self.logs.append(f"config {text} is NXDOMAIN")
            body = rpl.Body(Rcode.NXDOMAIN, b"", (0, 0, 0), (), (), (), False)
        elif stripped is not None:
            self.counters["filtered"] += 1
            if self.log_queries:
                self.logs.append(f"config {text} is {stripped}")
            body = rpl.Body(rpl.AA_BIT, b"", (0, 0, 0), (), (), (), False)
        elif self.filters.rebinding(qname, body):
            self.counters["rebind_blocked"] += 1
            self.logs.append(f"possible DNS-rebind attack detected: {name_text(qname)}")
            body = rpl.Body(body.flags & ~0xF, b"", (0, 0, 0), (), (), (), False)
        elif done.server is not None:
            doctored = self.rewrite.alias(body) if self.rewrite.active else None
            if doctored is not None:  # --alias
                body = doctored
                if self.log_queries:
                    self.logs.append(f"config {text} is {rpl.summary(body)}")
            qtype, qclass = struct.unpack_from("!HH", p.question, len(p.question) - 4)
            self.cache.store(cache_key(qname, qtype, qclass, p.do), body, now, done.server.label)
        if self.log_queries:
            self.logs.append(f"reply {text} is {rpl.summary(body)}")
        ttls = self.cache.client_ttls(body)
        for w in p.waiters:
            opt = self.opts[(w.do, False)] if w.edns_size else b""
            limit = self._limit(w.edns_size, w.transport)
            self.replies.append(
                (w.dest, rpl.build(w.qid, w.qflags, w.question, body, ttls, limit, opt))
            )
