"""Upstream answers to clients: the reply half of the resolver (a mixin of Resolver).

A finished forwarded query (forward.Done) gets the server's statistics (SIGUSR1, stats.py),
AD cleared unless --proxy-dnssec (RFC 4035 §3.2.3), then --filter-A/-AAAA/--filter-rr
(filters.py), --bogus-nxdomain and --alias (rewrite.py), --stop-dns-rebind; what passes is
cached (cache.py; never with AD, DO answers without their DNSSEC records, not per-client
EDNS answers) and sent to every waiting client with its own ID, question case, EDNS OPT and
size limit (RFC 1035 §4.2.1 TC).  Failed queries: SERVFAIL.  --log-queries "reply" lines.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Final

from lanctl.dns import reply as rpl
from lanctl.dns.cache import Cache, cache_key
from lanctl.dns.edns import ClientInfo
from lanctl.dns.filters import Filters, without_dnssec
from lanctl.dns.forward import Done, Forwarder, Pending
from lanctl.dns.querylog import reply_lines, stamp
from lanctl.dns.rewrite import ReplyRewrite
from lanctl.dns.stats import ServerStats
from lanctl.dns.wire import HEADER, MIN_UDP, Rcode, name_text, reply_flags

TCP_LIMIT: Final = 65535  # RFC 1035 §4.2.2 two-octet length prefix
REFRESH: Final = object()  # the Waiter.dest of a --use-stale-cache background refresh
AD: Final = 0x0020  # RFC 4035 §3.2.3 Authenticated Data


class Delivery:
    """The reply half of Resolver: its attributes are set by Resolver.__init__."""

    edns_max: int
    opts: dict[tuple[bool, bool], bytes]
    counters: dict[str, int]
    logs: list[str]
    log_queries: bool
    log_ids: dict[bytes, str]
    server_stats: ServerStats
    proxy_dnssec: bool
    cache: Cache
    fwd: Forwarder
    filters: Filters
    rewrite: ReplyRewrite
    client_info: ClientInfo
    replies: list[tuple[object, bytes]]
    _plain: bool
    _probes: set[bytes]
    _refreshing: set[bytes]

    def _done(self, done: Done, now: float) -> None:
        """_deliver, after the server's statistics; with --log-queries=extra the lines get
        the prefix of the query that was forwarded (querylog.py)."""
        if done.server is not None and done.body is not None and not done.pending.tcp:
            self.server_stats.answered(done.server, done.body.rcode, now - done.pending.started)
        if not self.log_ids:
            self._deliver(done, now)
            return
        mark = len(self.logs)
        self._deliver(done, now)
        prefix = self.log_ids.pop(done.pending.key, None)
        if prefix is not None:
            stamp(self.logs, mark, prefix)

    def _deliver(self, done: Done, now: float) -> None:
        p, body = done.pending, done.body
        if self._refreshing:
            self._refreshing.discard(p.key)
        if self._probes and p.key in self._probes:  # a loop-detection query ended
            self._probes.discard(p.key)  # no answer to deliver (timeouts count no failure)
            return
        if body is None:
            self.counters["servfail"] += 1
            for w in p.waiters:
                if w.dest is REFRESH:
                    continue
                opt = self.opts[(w.do, False)] if w.edns_size else b""
                flags = reply_flags(w.qflags, Rcode.SERVFAIL)
                head = HEADER.pack(w.qid, flags, 1, 0, 0, 1 if opt else 0)
                self.replies.append((w.dest, head + w.question + opt))
            if self.log_queries:
                self.logs.append("reply error is SERVFAIL")  # dnsmasq's spelling
            return
        ad = body.flags & AD
        if ad and not self.proxy_dnssec:  # --proxy-dnssec: AD is passed on, else cleared
            body = dataclasses.replace(body, flags=body.flags & ~AD)
            ad = 0
        if self._plain:  # nothing configured that rewrites or blocks replies: store, answer
            src = done.server
            if src is not None and self.cache.size and self.client_info.cacheable:
                self._store(p, body, ad, src.label, now)
            if self.log_queries:  # the same lines as at the end of the general path below
                self._log_reply(name_text(p.question[:-4].lower()), p.question, body)
            self._answer(p, body)
            return
        qname = p.question[:-4].lower()
        text = name_text(qname) if self.log_queries else ""
        stripped = self.filters.filtered(p.question, body) if self.filters.strips else None
        if stripped is not None:  # --filter-A/-AAAA/-rr: those answer records go
            self.counters["filtered"] += 1
            body = stripped[0]
            if self.log_queries and stripped[1] is not None:
                self.logs.append(f"config {text} is {stripped[1]}")
        bogus = self.rewrite.active and self.rewrite.bogus(body)
        if bogus:  # --bogus-nxdomain: NXDOMAIN, not authoritative, not cached
            self.counters["filtered"] += 1
            if self.log_queries:
                self.logs.append(f"config {text} is NXDOMAIN")
            body = rpl.Body(Rcode.NXDOMAIN, b"", (0, 0, 0), (), (), False)
        elif self.filters.rebinding(qname, body):
            self.counters["rebind_blocked"] += 1
            self.logs.append(f"possible DNS-rebind attack detected: {name_text(qname)}")
            body = rpl.Body(body.flags & ~0xF, b"", (0, 0, 0), (), (), False)
        elif done.server is not None:
            doctored = self.rewrite.alias(body) if self.rewrite.active else None
            if doctored is not None:  # --alias
                body = doctored
                if self.log_queries:
                    self.logs.append(f"config {text} is {rpl.summary(body)}")
            if stripped is None and self.client_info.cacheable:  # not filtered, not per client
                self._store(p, body, ad, done.server.label, now)
        if self.log_queries and (stripped is None or stripped[1] is None):
            # dnsmasq logs "config NAME is NODATA[-IPv4]" instead for an emptied answer
            # (querylog.py: one line per record, "reply error is SERVFAIL").
            self._log_reply(text, p.question, body)
        self._answer(p, body)

    def _store(self, p: Pending, body: rpl.Body, ad: int, source: str, now: float) -> None:
        """Cache an upstream answer under the plain (DO clear) key of its question."""
        qtype, qclass = struct.unpack_from("!HH", p.question, len(p.question) - 4)
        key = cache_key(p.question[:-4].lower(), qtype, qclass, False)
        kept: rpl.Body | None = body
        if p.do:  # kept for plain queries only, without the DNSSEC records
            kept = without_dnssec(p.question, body)
        if kept is not None:
            if ad:
                kept = dataclasses.replace(kept, flags=kept.flags & ~AD)
            self.cache.store(key, kept, now, source)  # never with AD

    def _answer(self, p: Pending, body: rpl.Body) -> None:
        """The reply for every waiting client: its ID, question case, OPT and size limit."""
        ttls = self.cache.client_ttls(body)
        opts, edns_max, build, append = self.opts, self.edns_max, rpl.build, self.replies.append
        for w in p.waiters:
            if w.dest is REFRESH:
                continue
            size = w.edns_size
            if w.transport == "tcp":
                limit = TCP_LIMIT
            else:
                limit = (size if size < edns_max else edns_max) if size else MIN_UDP
            opt = opts[(w.do, False)] if size else b""
            append((w.dest, build(w.qid, w.qflags, w.question, body, ttls, limit, opt)))

    def _log_reply(self, text: str, question: bytes, body: rpl.Body) -> None:
        """--log-queries: the "reply NAME is ..." / "reply error is ..." lines of an upstream
        answer (querylog.reply_lines); one helper for the short and the general path."""
        self.logs.extend(reply_lines("reply", text, question, body))
