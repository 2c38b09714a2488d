"""DnsEngine: the sans-IO DNS query engine: local data, cache, forwarding (no sockets here).

Consumes --local-ttl (through LocalData), --log-queries, --edns-packet-max, the cache options
(cache.py), the filters (filters.py) and the forwarding options (forward.py, upstreams.py).
RFC 1035 §4.1 replies, RFC 6891 EDNS sizes, RFC 8914 EDE on REFUSED, RFC 9619 QDCOUNT=1.

Rules / theory of operation:
- A query is peeked with `wire.decode_query` (struct only).  Responses (QR=1) and packets
  shorter than a header are dropped; other malformed queries get FORMERR (header only:
  dnsmasq drops or REFUSEs these; RELIABILITY.md §3a asks for FORMERR); opcodes other than
  QUERY get NOTIMP (RFC 1035 §4.1.1; dnsmasq answers REFUSED).
- Class IN questions are answered from `LocalData` (see local.py for the precedence);
  what local data cannot answer goes through the filters, then the cache, then upstream
  (any class, as dnsmasq; resolver.py); with no upstream server dnsmasq answers REFUSED with
  EDE 14 "not ready": so do we.  A forwarded query returns FORWARDED (b""): its answer comes
  later, from `on_upstream`/`on_upstream_error`/`on_timer`, as (dest, bytes) in
  `take_actions()` together with the upstream sends and socket closes for the adapter.
- Cache hits of plain UDP queries (no EDNS) are served on the fast path (fastpath.py) too:
  the stored reply body with the client's ID and question, TTLs patched once a second.
- Class CHAOS TXT/ANY for cachesize.bind, insertions.bind, evictions.bind, misses.bind,
  hits.bind, auth.bind, servers.bind and version.bind answer statistics, as dnsmasq does
  (chaos.py); other CHAOS names under bind/server: NOTIMP; other CHAOS names and other
  classes are forwarded, as dnsmasq 2.90 does.  TCP queries count apart (stats.tcp_counted).
- --log-queries: no fast path (every query is logged); =extra prefixes each query's lines
  with its serial and the client's address/port (querylog.py).
- Answers are rendered once and memoised by (lowercased qname, qtype, qclass); a hit costs
  a dict lookup and one bytes concatenation (ARCHITECTURE §5); round-robin answers keep
  their rotations pre-rendered (answers.Rotor; off with --no-round-robin).  The memo is
  bounded and is dropped by `clear_cache()` and when local data is replaced (SIGHUP).
- UDP replies are cut to 512 bytes without EDNS, else to min(client size, edns-packet-max)
  (never below 512), keeping whole RRs and setting TC; TCP replies are never cut.
- "hits" counts every query answered without forwarding (dnsmasq's hits.bind counts the
  REFUSED ones too); "misses" counts queries that went upstream.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from typing import Final, Literal

from lanctl import __version__
from lanctl.config.model import DnsCfg
from lanctl.dns.answers import (
    NAME_MARK,
    Rendered,
    build_reply,
    render_empty,
    render_local,
    render_rotating,
)
from lanctl.dns.chaos import CHAOS, NOT_IMPLEMENTED, chaos_answer, reserved
from lanctl.dns.fastpath import FastPath
from lanctl.dns.forward import Send
from lanctl.dns.local import LocalAnswer, LocalData
from lanctl.dns.localise import Net
from lanctl.dns.plainfwd import SENT
from lanctl.dns.querylog import QueryLog, with_prefix
from lanctl.dns.resolver import FORWARDED, Resolver
from lanctl.dns.rules import server_wins
from lanctl.dns.stats import engine_lines, engine_stats, tcp_counted
from lanctl.dns.upstreams import Routes
from lanctl.dns.wire import (
    AA,
    MIN_UDP,
    OPCODE_MASK,
    QR,
    Ede,
    QClass,
    QType,
    Query,
    Rcode,
    decode_query,
    encode_ede,
    encode_opt,
    error_reply,
    header_error,
    name_text,
    peek_flags,
    qtype_text,
)
from lanctl.errors import DecodeError

Peer = tuple[str, int] | tuple[str, int, int, int]
Transport = Literal["udp", "tcp"]
MEMO_MAX: Final = 65536  # pre-rendered answers kept; the memo is emptied when full
TCP_LIMIT: Final = 65535  # RFC 1035 §4.2.2 two-octet length prefix
_REFUSED_LOG: Final = "config error is REFUSED (EDE: not ready)"


def _no_fast(data: bytes, now: float) -> None:
    """The fast path when every query must be logged: never answers."""
    return None


class DnsEngine:
    """Answers DNS queries from local data; see the module docstring for the rules."""

    def __init__(
        self, cfg: DnsCfg, local: LocalData, *, rng: random.Random, version: str = __version__
    ) -> None:
        self.cfg = cfg
        self.local = local
        self.rng = rng  # upstream query IDs (forward.py)
        self.version = f"lanctl-{version}"
        self.log_queries = cfg.log_queries
        self._edns_max = max(MIN_UDP, cfg.edns_packet_max)
        # OPT records by (DO bit, with EDE "not ready"): built once.
        self._opts = {
            (do, ede): encode_opt(self._edns_max, do, encode_ede(Ede.NOT_READY) if ede else b"")
            for do in (False, True)
            for ede in (False, True)
        }
        self._memo: dict[tuple[bytes, int, int], Rendered] = {}
        self._netdep = render_empty(Rcode.NOERROR, False, "")  # memo mark: see _by_net
        self._by_net: dict[tuple[tuple[bytes, int, int], Net | None], Rendered] = {}
        self._refused = render_empty(Rcode.REFUSED, False, _REFUSED_LOG)
        self._logs: list[str] = []
        self.pending_logs = self._logs  # not empty: take_logs has lines (adapters poll it)
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "queries", "hits", "local_answers", "nxdomain", "nodata", "refused", "formerr",
                "notimp", "servfail", "dropped", "truncated", "tcp_queries", "cache_hits",
                "forwarded", "filtered", "rebind_blocked", "tcp_hits", "tcp_forwarded",
            ),
            0,
        )  # fmt: skip
        self.resolver = Resolver(cfg, rng, self._edns_max, self._opts, self.counters, self._logs)
        self.cache = self.resolver.cache
        self.fwd = self.resolver.fwd
        self._plain = self.resolver.plain  # plainfwd.py: questions known to go upstream
        self.fastpath = FastPath(self.cache)  # fastpath.py: pre-rendered answers by question
        # The UDP fast path (a method of FastPath): the drain loop asks it first.  Never
        # with --log-queries: every query, cached ones too, must then be logged.
        self.fast_query: Callable[[bytes, float], bytes | None] = (
            _no_fast if self.log_queries else self.fastpath.query
        )
        # --log-queries=extra (querylog.py): serials and client address on query lines.
        self.querylog = QueryLog()
        self.full_query: Callable[..., bytes | None] = (
            with_prefix(self._full_query, self._logs, self.resolver, self.querylog)
            if cfg.log_queries_extra and self.log_queries
            else self._full_query
        )

    @property
    def fast_hits(self) -> int:
        """Queries answered by the fast path (local data and cache)."""
        return self.fastpath.hits

    @property
    def fast_cache_hits(self) -> int:
        """The part of fast_hits answered from the cache."""
        return self.fastpath.cache_hits

    # ---- input -----------------------------------------------------------------

    def on_query(
        self,
        data: bytes,
        peer: Peer,
        now: float,
        transport: Transport = "udp",
        dest: object = None,
        net: Net | None = None,
    ) -> bytes | None:
        """Answer one query: the reply bytes, None to drop, or FORWARDED (the answer goes to
        `dest` later, see take_actions).  `now` is monotonic seconds; `net` the subnet the
        query arrived on, when known (--localise-queries).  Never raises for bad input."""
        if transport == "udp":
            fast = self.fast_query(data, now)
            return fast if fast is not None else self.full_query(data, peer, now, "udp", dest, net)
        return tcp_counted(self.counters, self.fwd, self.full_query, data, peer, now, dest, net)

    def _full_query(
        self,
        data: bytes,
        peer: Peer,
        now: float,
        transport: Transport = "udp",
        dest: object = None,
        net: Net | None = None,
    ) -> bytes | None:
        """`on_query` past the fast path: for a caller that already asked `fast_query`
        (through the `full_query` attribute)."""
        plain = self._plain
        if plain is not None and transport == "udp":  # a question forwarded before
            done = plain.forward(data, dest, now)
            if done:
                return FORWARDED if done == SENT else None
        c = self.counters
        c["queries"] += 1
        if transport == "tcp":
            c["tcp_queries"] += 1
        try:
            q = decode_query(data)
        except DecodeError:
            return self._malformed(data)
        if q.flags & OPCODE_MASK:
            c["notimp"] += 1
            return error_reply(data, q, Rcode.NOTIMP, edns_size=self._edns_max)
        key = (q.qname_lower, q.qtype, q.qclass)
        r = self._memo.get(key)
        if r is None:
            r = self._resolve(q, key, net)
        elif r is self._netdep:  # --localise-queries: one answer per arrival subnet
            r = self._by_net.get((key, net)) or self._resolve(q, key, net)
        if r.rotor is not None:
            r = r.rotor.step()
        if r is self._refused:  # memoised too: "not local"; any class (dnsmasq forwards CH/HS)
            return self.resolver.query(data, q, peer, now, transport, dest)
        rcode = r.flags & 0xF
        opt = self._opts[(q.do, rcode == Rcode.REFUSED)] if q.edns_size else b""
        if transport == "tcp":
            limit = TCP_LIMIT
        elif q.edns_size:
            limit = min(q.edns_size, self._edns_max)
        else:
            limit = MIN_UDP
        reply = build_reply(data, q, r, limit, opt)
        c["hits"] += 1
        if rcode == Rcode.NOERROR:
            c["local_answers" if r.ends else "nodata"] += 1
        elif rcode == Rcode.REFUSED:
            c["refused"] += 1
        elif rcode == Rcode.NXDOMAIN:
            c["nxdomain"] += 1
        if reply[2] & 0x02:
            c["truncated"] += 1
        if self.log_queries:
            self._log_query(q, r, peer)
        return reply

    # ---- upstream events (see resolver.py) ---------------------------------------------

    def on_upstream(self, token: int, data: bytes, now: float) -> None:
        """A datagram arrived on the socket of upstream query `token`."""
        self.resolver.on_upstream(token, data, now)

    def on_upstream_error(self, token: int, now: float) -> None:
        """The socket of upstream query `token` failed (ICMP unreachable, send error)."""
        self.resolver.on_upstream_error(token, now)

    def next_deadline(self) -> float | None:
        """When on_timer next has work (monotonic seconds), or None."""
        return self.resolver.next_deadline()

    def on_timer(self, now: float) -> None:
        """Retries, and SERVFAIL for queries past their deadline."""
        self.resolver.on_timer(now)

    def take_actions(self) -> tuple[list[Send], list[int], list[tuple[object, bytes]]]:
        """(upstream sends, tokens whose sockets to close, (dest, reply) for clients)."""
        return self.resolver.take()

    @property
    def has_actions(self) -> bool:
        return self.resolver.has_actions()

    @property
    def routes(self) -> Routes:
        return self.resolver.routes

    def _malformed(self, data: bytes) -> bytes | None:
        try:
            flags = peek_flags(data)
        except DecodeError:
            self.counters["dropped"] += 1
            return None
        if flags & QR:
            self.counters["dropped"] += 1  # a response sent to us: never answer it
            return None
        self.counters["formerr"] += 1
        return header_error(data, Rcode.FORMERR)

    def servfail(self, data: bytes) -> bytes | None:
        """SERVFAIL for a query whose handling raised (the adapter's last resort)."""
        self.counters["servfail"] += 1
        try:
            q = decode_query(data)
        except DecodeError:
            return None
        return error_reply(data, q, Rcode.SERVFAIL, edns_size=self._edns_max)

    def _resolve(self, q: Query, key: tuple[bytes, int, int], net: Net | None) -> Rendered:
        if q.qclass == QClass.IN:
            ans = self.local.answer(q.qname_lower, q.qtype, net)
            if (
                ans is not None
                and self.routes.has_domains
                and self._server_wins(q.qname_lower, ans)
            ):
                ans = None
            if ans is None:
                r = self._refused
            elif ans.rotate and not self.cfg.no_round_robin:
                r = render_rotating(ans, q.qtype)
            else:
                r = render_local(ans, q.qtype)
            if len(self._memo) >= MEMO_MAX:
                self._drop_rendered()
            if ans is not None and ans.netdep:
                self._memo[key] = self._netdep
                self._by_net[(key, net)] = r
                return r  # never on the fast path, which does not know the subnet
            self._memo[key] = r
            fits = r.ends and q.question_end + r.ends[-1] <= MIN_UDP
            if fits and r.flags == AA and not self.log_queries:
                # Positive answer that fits 512 bytes: also serve it from the fast path
                # (never with --log-queries: every query must then be logged).
                counts = struct.pack("!HHHH", 1, len(r.ends), 0, 0)
                fk = q.qname_lower + struct.pack("!HH", q.qtype, q.qclass)
                if r.rotor is not None:
                    self.fastpath.rotating[fk] = (counts, r.rotor)
                else:
                    self.fastpath.local[fk] = (counts, r.rrs)
            return r
        if q.qclass == QClass.CH:
            if q.qtype in (QType.TXT, QType.ANY) and not self.cfg.no_ident:
                which = CHAOS.get(q.qname_lower)
                if which is not None:
                    return self._chaos(which)
            if reserved(q.qname_lower):
                return NOT_IMPLEMENTED  # chaos.py: unknown *.bind / *.server, --no-ident
        return self._refused

    def _server_wins(self, qname: bytes, ans: LocalAnswer) -> bool:
        """A more specific --server=/dom/ takes the name from --address/--local (rules.py)."""
        rule = self.local.match_rule(qname)
        if rule is None:
            return False
        return server_wins(rule, self.local.rules, self.routes, qname, [rr.rdata for rr in ans.rrs])

    def _chaos(self, which: str) -> Rendered:
        servers = self.resolver.servers_txt() if which == "servers" else None
        values = {
            "cachesize": self.cfg.cache_size,
            "insertions": self.cache.insertions,
            "evictions": self.cache.evictions,
            "misses": self.counters["forwarded"] - self.counters["tcp_forwarded"],  # stats.py
            "hits": self.counters["hits"] + self.fast_hits - self.counters["tcp_hits"],
            "auth": 0,
        }
        return chaos_answer(which, self.version, servers, values)

    def _log_query(self, q: Query, r: Rendered, peer: Peer) -> None:
        name = name_text(q.qname)
        self._logs.append(f"query[{qtype_text(q.qtype)}] {name} from {peer[0]}")
        self._logs.extend(line.replace(NAME_MARK, name) for line in r.logs)

    # ---- outputs and control ------------------------------------------------------

    def take_logs(self) -> list[str]:
        """The --log-queries lines produced since the last call (dnsmasq's format)."""
        logs = self._logs[:]
        self._logs.clear()  # in place: the resolver appends to this same list
        return logs

    def clear_cache(self) -> int:
        """Drop every pre-rendered answer and cached reply; returns how many there were."""
        n = len(self._memo) + self.cache.clear()
        self._drop_rendered()
        return n

    def _drop_rendered(self) -> None:
        self._memo.clear()
        if self._plain is not None:
            self._plain.clear()
        self.fastpath.clear()
        self._by_net.clear()

    def set_routes(self, routes: Routes) -> None:
        """Replace the upstream table (resolv.conf changed, SIGHUP)."""
        self.resolver.set_routes(routes)

    def local_changed(self) -> None:
        """The local data changed in place (DHCP lease names): drop pre-rendered answers,
        including the memoised "not local" ones; the cache of forwarded replies stays."""
        self._drop_rendered()

    def set_local(self, local: LocalData) -> None:
        """Replace the local data (SIGHUP reload); pre-rendered answers are dropped."""
        self.local = local
        self._drop_rendered()
        self.cache.clear()  # dnsmasq empties its cache on SIGHUP

    def stats(self) -> dict[str, int]:
        """Counters for the control socket, SIGUSR1 and the CHAOS names (stats.py)."""
        return engine_stats(
            self.counters, self.cache, self.fwd, self.fastpath, cache_size=self.cfg.cache_size,
            local_names=len(self.local), prerendered=len(self._memo),
        )  # fmt: skip

    def log_stats(self, tcp: str | None = None) -> list[str]:
        """SIGUSR1 lines in dnsmasq's order (stats.py); `tcp`: the adapter's TCP line."""
        lines = engine_lines(self.counters, self.cache, self.fastpath, self.cfg.cache_size, tcp)
        return lines + self.resolver.log_stats()
