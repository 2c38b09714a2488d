"""The upstream half of the DNS engine: filters, cache, forwarder, and answers from upstream.

Called by `DnsEngine.on_query` for questions (any class) local data does not answer.  Order
(ARCHITECTURE §2.7): query filters (filters.py), the --server/--local route (upstreams.py;
local-only names: NXDOMAIN; no server: REFUSED + EDE 14 as dnsmasq), the cache (cache.py),
then the forwarder (forward.py).  Replies from upstream (filters, rebinding check, cache,
one reply per waiting client) are the Delivery mixin's work (delivery.py).  Per-server
"sent"/"failed" counters feed CHAOS servers.bind ("addr#port sent failed", as dnsmasq).
--use-stale-cache: an expired entry (cache.lookup_stale) is answered at once with TTL 0
("cached-stale" in the log; the reply leaves through take_actions together with the
refresh) and the question is forwarded with a REFRESH waiter that takes no reply: its
answer only renews the cache.
EDNS client info (--add-mac, --add-subnet, --add-cpe-id, --umbrella, --strip-mac,
--strip-subnet; edns.py): each forwarded query gets its own OPT record; queries whose
options differ are not coalesced, and client-dependent replies are not cached.  The MAC
comes from `mac_of`, a neighbour-table lookup the adapter installs (None: unknown).
The AD bit of upstream replies reaches clients only with --proxy-dnssec, and then only on
forwarded replies: cached answers never carry it (dnsmasq 2.90, checked on the wire).
--dns-loop-detect (loopdetect.py): when the server set changes the test queries are due
(next_deadline says "now"; on_timer sends them, uncounted in servers.bind); a client query
for a test name disables its server and is dropped.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns import reply as rpl
from lanctl.dns.cache import Cache, CachePolicy
from lanctl.dns.delivery import REFRESH, TCP_LIMIT, Delivery
from lanctl.dns.edns import (
    ClientInfo,
    ClientInfoPolicy,
    passthrough_opt,
    query_options,
    upstream_size,
)
from lanctl.dns.filters import FilterPolicy, Filters
from lanctl.dns.forward import Forwarder, ForwardPolicy, Send, Waiter
from lanctl.dns.loopdetect import LoopDetect
from lanctl.dns.plainfwd import PlainForwards
from lanctl.dns.querylog import reply_lines, server_text
from lanctl.dns.rewrite import ReplyRewrite
from lanctl.dns.stats import ServerStats, server_lines
from lanctl.dns.upstreams import LOCAL, Routes, Upstream
from lanctl.dns.wire import (
    CD,
    MIN_UDP,
    RD,
    Ede,
    Query,
    Rcode,
    encode_opt,
    error_reply,
    name_text,
    qtype_text,
)
from lanctl.errors import DecodeError

FORWARDED: Final = b""  # on_query: the answer will come later through take_actions()
REFUSED_LOG: Final = "config error is REFUSED (EDE: not ready)"


class Resolver(Delivery):
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
        self.log_prefix: str | None = None  # --log-queries=extra: of the query in hand
        self.log_ids: dict[bytes, str] = {}  # forwarder key -> prefix of its first query
        self.server_stats = ServerStats()  # SIGUSR1 (stats.py)
        self.proxy_dnssec = cfg.proxy_dnssec
        self.cache = Cache(
            CachePolicy(
                cfg.cache_size, cfg.no_negcache, cfg.neg_ttl, cfg.max_ttl, cfg.max_cache_ttl,
                cfg.min_cache_ttl, cfg.use_stale_cache, frozenset(cfg.cache_rr),
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
                cfg.rebind_domain_ok, frozenset(cfg.filter_rr),
            )
        )  # fmt: skip
        self.rewrite = ReplyRewrite(cfg)
        # Replies pass unchanged but for AD (no filter strips, no rewrite, no rebind check):
        # _deliver then skips those steps.
        self._plain = not (
            self.filters.strips or self.rewrite.active or self.filters.policy.stop_rebind
        )
        if self.rewrite.ignore_nets:
            self.fwd.ignore = self.rewrite.ignored
        self.rng = rng
        self.loop = LoopDetect() if cfg.dns_loop_detect else None
        self._probes: set[bytes] = set()  # forwarder keys of loop-detection queries
        self.routes = Routes(cfg.server)
        self._base_routes = self.routes  # without the --servers-file specs
        self._servers_file: tuple[object, ...] = ()
        self.replies: list[tuple[object, bytes]] = []
        self._refreshing: set[bytes] = set()  # forwarder keys of background refreshes
        self.client_info = ClientInfo(
            ClientInfoPolicy(
                cfg.add_mac, cfg.add_subnet, cfg.add_cpe_id, cfg.umbrella, cfg.strip_mac,
                cfg.strip_subnet,
            )
        )  # fmt: skip
        self.mac_of: Callable[[str], bytes | None] | None = None  # --add-mac (neighbours.py)
        # plainfwd.py: None when a per-query step (log, filter, client info, stale answers,
        # loop detection) could change what a plain query's question alone decides.
        simple = not (
            cfg.log_queries or self.loop is not None or self.filters.active
            or self.client_info.active or self.cache.policy.stale is not None
        )  # fmt: skip
        self.plain = PlainForwards(self.fwd, self.cache, counters, self._full) if simple else None
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
        """Filters, cache, then the forwarder, for a question local data left alone (any class)."""
        c = self.counters
        name = name_text(q.qname) if self.log_queries else ""
        if self.log_queries:
            self.logs.append(f"query[{qtype_text(q.qtype)}] {name} from {peer[0]}")
        if self.loop is not None:
            looped = self.loop.looped(q.qname_lower, q.qtype)
            if looped is not None:  # our own test query came back: that server loops
                self._loop_found(looped)
                return None
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
        end = q.question_end
        question = data[12:end]
        # cache_key(), from the raw QTYPE/QCLASS octets (the same bytes as packing them).
        ckey = q.qname_lower + data[end - 4 : end] + (b"\x01" if q.do else b"\x00")
        # Not validating, dnsmasq answers DO queries from upstream only (on the wire).
        cached = self.cache.lookup(ckey, now) if self.cache.size and not q.do else None
        if cached is not None:
            c["hits"] += 1
            c["cache_hits"] += 1
            body, ttls = cached
            if self.log_queries:
                self.logs.extend(reply_lines("cached", name, question, body))
            opt = self.opts[(q.do, False)] if q.edns_size else b""
            limit = self._limit(q.edns_size, transport)
            return rpl.build(q.id, q.flags, question, body, ttls, limit, opt, True)
        assert not isinstance(route, str)
        route_tag = str(id(route)).encode()
        fkey = ckey + (b"\x01" if q.flags & CD else b"\x00") + route_tag
        if self.client_info.active:
            up_opt: bytes | None = self._client_opt(data, q, str(peer[0]))
        elif q.edns_size:  # dnsmasq passes the client's options and size on (edns.py)
            up_opt = passthrough_opt(data, q, self.edns_max)
        else:
            up_opt = None
        if up_opt is not None:
            fkey += up_opt  # queries with other client info are not coalesced with this one
        stale = None
        if self.cache.policy.stale is not None and not q.do:
            stale = self.cache.lookup_stale(ckey, now)
        if stale is not None:
            return self._stale(data, q, stale, route, fkey, name, now, transport, dest, up_opt)
        waiter = Waiter(dest, q.id, q.flags, question, q.edns_size, q.do, transport)
        if not self.fwd.submit(fkey, question, q.flags, q.do, route, waiter, now, up_opt):
            self._full()
            return None
        c["forwarded"] += 1
        if self.plain is not None and transport == "udp" and not q.edns_size:
            self.plain.remember(ckey[:-1], route, route_tag)
        if self.log_queries:
            if self.log_prefix is not None:  # --log-queries=extra: for the reply lines
                self.log_ids.setdefault(fkey, self.log_prefix)
            for send in self.fwd.sends:
                self.logs.append(f"forwarded {name} to {server_text(send.server)}")
        return FORWARDED

    def _full(self) -> None:
        """The forwarder refused a query: its table is full (--dns-forward-max)."""
        self.counters["dropped"] += 1
        limit = self.fwd.policy.forward_max
        self.logs.append(f"Maximum number of concurrent DNS queries reached (max: {limit})")

    def _stale(
        self,
        data: bytes,
        q: Query,
        stale: tuple[rpl.Body, tuple[int, ...]],
        route: tuple[Upstream, ...],
        fkey: bytes,
        name: str,
        now: float,
        transport: str,
        dest: object,
        up_opt: bytes | None,
    ) -> bytes:
        """dnsmasq --use-stale-cache: the expired answer now (TTL 0), a refresh upstream.
        The answer goes out with the refresh, through take_actions (FORWARDED): the
        adapter dispatches upstream sends only for queries that return FORWARDED."""
        c = self.counters
        c["hits"] += 1
        c["cache_hits"] += 1
        body, ttls = stale
        if self.log_queries:
            self.logs.append(f"cached-stale {name} is {rpl.summary(body)}")
        question = data[12 : q.question_end]
        if fkey not in self._refreshing:
            # One refresh per question; if a client query for it is already in flight its
            # answer refreshes the entry anyway, so the refresh joins it.
            waiter = Waiter(REFRESH, -1, q.flags, question, 0, q.do, "udp")
            if self.fwd.submit(fkey, question, q.flags, q.do, route, waiter, now, up_opt):
                self._refreshing.add(fkey)
                c["forwarded"] += 1
                if self.log_queries:
                    if self.log_prefix is not None:
                        self.log_ids.setdefault(fkey, self.log_prefix)
                    for send in self.fwd.sends:
                        self.logs.append(f"forwarded {name} to {server_text(send.server)}")
        opt = self.opts[(q.do, False)] if q.edns_size else b""
        limit = self._limit(q.edns_size, transport)
        self.replies.append(
            (dest, rpl.build(q.id, q.flags, question, body, ttls, limit, opt, True))
        )
        return FORWARDED

    def _client_opt(self, data: bytes, q: Query, addr: str) -> bytes:
        """The OPT record carrying the EDNS client info for this query (edns.py)."""
        try:
            client = query_options(data, q.question_end)
        except DecodeError:
            client = []
        mac: bytes | None = None
        if self.client_info.policy.add_mac is not None and self.mac_of is not None:
            mac = self.mac_of(addr)
        options = self.client_info.options(client, addr, mac)
        return encode_opt(upstream_size(q, self.fwd.policy.edns_size), q.do, options)

    # ---- upstream events ---------------------------------------------------------

    def on_upstream(self, token: int, data: bytes, now: float) -> None:
        """A datagram arrived on the socket of upstream query `token`."""
        done = self.fwd.on_reply(token, data, now)
        if done is not None:
            self._done(done, now)

    def on_upstream_error(self, token: int, now: float) -> None:
        """The socket of upstream query `token` failed (ICMP unreachable, send error)."""
        done = self.fwd.on_error(token, now)
        if done is not None:
            self._done(done, now)

    def next_deadline(self) -> float | None:
        """When on_timer next has work (monotonic seconds), or None."""
        if self.loop is not None and self.loop.due:
            return -math.inf  # loop-detection queries to send: at once
        return self.fwd.next_deadline()

    def on_timer(self, now: float) -> None:
        """Retries and SERVFAIL for queries past their deadline; loop-detection queries."""
        if self.loop is not None and self.loop.due:
            self._send_probes(now)
        for done in self.fwd.on_timer(now):
            self._done(done, now)

    def take(self) -> tuple[list[Send], list[int], list[tuple[object, bytes]]]:
        """(upstream sends, upstream tokens to close, (dest, reply) for clients) since the
        last call."""
        sends, closes = self.fwd.take()
        replies = self.replies[:]
        self.replies.clear()
        return sends, closes, replies

    def set_routes(self, routes: Routes) -> None:
        """Replace the table (resolv.conf re-read, SIGHUP); --servers-file specs are kept."""
        self._base_routes = routes
        self.routes = routes.extended(self._servers_file) if self._servers_file else routes
        if self.plain is not None:
            self.plain.clear()
        if self.loop is not None:
            self.loop.servers_changed(self.routes.all_servers())  # a new set: test again
            if self.loop.disabled:
                self.routes = routes.extended(self._servers_file, frozenset(self.loop.disabled))

    def _send_probes(self, now: float) -> None:
        """--dns-loop-detect: one TXT <uid>.test query to every server (loopdetect.py)."""
        assert self.loop is not None
        for server, question in self.loop.probes(self.routes.all_servers(), self.rng):
            key = b"loop-detect " + question + server.label.encode()
            waiter = Waiter(REFRESH, -1, RD, question, 0, False, "udp")
            if self.fwd.submit(key, question, RD, False, (server,), waiter, now):
                self._probes.add(key)
                self.fwd.sent[server] -= 1  # dnsmasq does not count these in servers.bind

    def _loop_found(self, server: Upstream) -> None:
        assert self.loop is not None
        self.logs.append(f"NOT using nameserver {server.label} - query loop detected")
        disabled = frozenset(self.loop.disabled)
        self.routes = self._base_routes.extended(self._servers_file, disabled)
        for up in self.routes.usable_servers():
            self.logs.append(f"using nameserver {up.label}")

    def set_servers_file(self, specs: tuple[object, ...]) -> None:
        """The --servers-file specs (read at start and on SIGHUP, serversfile.py)."""
        self._servers_file = specs
        self.set_routes(self._base_routes)

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
        """SIGUSR1 lines about the upstream servers (stats.py)."""
        fwd = self.fwd
        servers = self.routes.all_servers()
        return server_lines(servers, fwd.sent, fwd.retried, fwd.failed, self.server_stats)
