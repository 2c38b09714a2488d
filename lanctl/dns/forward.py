"""The forwarder's in-flight table (pure: times are passed in, randomness is injected).

RFC 5452: each upstream query gets a random 16-bit ID (§9.2) and a random source port (the
adapter's sockets, upsock.py; `id_taken` keeps IDs distinct on a shared one); a reply is
accepted only when its ID and question match exactly (§9.1; the connected socket checks
the address and port).  §5: identical
outstanding queries — same (qname lowercased, qtype, qclass, DO, CD, server group) — are
coalesced into one upstream query; every client gets the answer with its own ID and case.
dnsmasq behaviour: --dns-forward-max bounds the table (further queries are dropped, logged);
--strict-order tries servers in order, the default starts with the last server that answered,
--all-servers sends to every server at once; a SERVFAIL/REFUSED reply or an ICMP error moves
the query to the next server; a client retrying the same query (same ID) moves it on too;
--fast-dns-retry resends after a delay with exponential backoff for a while.  The per-server
`failed` counter (servers.bind, SIGUSR1) counts SERVFAIL and REFUSED replies only, as
dnsmasq 2.90's does (on the wire: timeouts, ICMP errors and send errors count 0).  Queries
a TCP client asked first stay out of sent/retried/failed: dnsmasq's TCP children count their
own upstream queries, and those counts never reach the parent's lines (stats.py).  A truncated
(TC) reply is asked again over TCP when a TCP client waits for it (RFC 7766 §5).  dnsmasq drops
a query after TIMEOUT (10 s); we answer SERVFAIL then (RELIABILITY.md §3a).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from lanctl.dns.frozen import fast_init
from lanctl.dns.reply import Body, parse_body
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import CD, HEADER, RD, Rcode, encode_opt
from lanctl.errors import DecodeError

TIMEOUT: Final = 10.0  # dnsmasq TIMEOUT: seconds before an unanswered query is given up
WAITERS_MAX: Final = 1024  # clients sharing one upstream query
ID_TRIES: Final = 64  # random IDs tried for a server whose one socket is shared


@dataclass(frozen=True, slots=True)
class ForwardPolicy:
    """--dns-forward-max, --strict-order, --all-servers, --fast-dns-retry, EDNS size we offer."""

    forward_max: int = 150
    strict_order: bool = False
    all_servers: bool = False
    fast_retry: tuple[int, int] | None = None  # (first delay ms, total ms)
    edns_size: int = 1232
    timeout: float = TIMEOUT


@fast_init
@dataclass(frozen=True, slots=True)
class Waiter:
    """A client waiting for an answer: where to send it, its ID, flags, question and EDNS."""

    dest: object
    qid: int
    qflags: int
    question: bytes  # the client's question section (its case)
    edns_size: int  # 0: the client sent no OPT
    do: bool
    transport: str


@fast_init
@dataclass(frozen=True, slots=True)
class Send:
    """Open a socket for `token` towards `server` and send `data`."""

    token: int
    server: Upstream
    data: bytes
    tcp: bool = False  # RFC 7766 §5: a truncated reply is asked again over TCP


@dataclass(slots=True)
class Pending:
    """One upstream question in flight and the clients waiting for it."""

    key: bytes
    question: bytes  # as sent upstream
    flags: int  # RD/CD sent upstream
    do: bool
    servers: tuple[Upstream, ...]
    waiters: list[Waiter]
    started: float
    deadline: float
    retry_at: float | None = None
    retry_delay: float = 0.0
    next_index: int = 0
    sent: int = 0  # attempts so far
    attempts: dict[int, tuple[int, Upstream]] = field(default_factory=dict)  # token -> (ID, to)
    failed: set[int] = field(default_factory=set)
    truncated: Body | None = None  # the TC=1 UDP reply while the TCP retry runs
    opt: bytes | None = None  # OPT record to send instead of ours (edns.py client info)
    tcp: bool = False  # asked by a TCP client first: not in the per-server counters (dnsmasq)


@fast_init
@dataclass(frozen=True, slots=True)
class Done:
    """A finished query: the accepted body (None: failed, answer SERVFAIL) and its source."""

    pending: Pending
    body: Body | None
    server: Upstream | None


class Forwarder:
    """Tracks upstream queries; the engine feeds it events and collects `sends`/`closes`."""

    def __init__(self, policy: ForwardPolicy, rng: random.Random) -> None:
        self.policy = policy
        self.rng = rng
        self._pending: dict[bytes, Pending] = {}
        self._tokens: dict[int, Pending] = {}
        self._next_token = 1
        self._opt = {do: encode_opt(policy.edns_size, do) for do in (False, True)}
        self._preferred: dict[tuple[Upstream, ...], int] = {}
        self.sends: list[Send] = []
        self.closes: list[int] = []
        self.ignore: Callable[[Body], bool] | None = None  # --ignore-address (rewrite.py)
        self.id_taken: Callable[[Upstream, int], bool] | None = None  # --query-port (upsock.py)
        self.sent: dict[Upstream, int] = {}
        self.failed: dict[Upstream, int] = {}
        self.retried: dict[Upstream, int] = {}  # sends after a query's first (SIGUSR1)
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "forwarded",
                "coalesced",
                "dropped_full",
                "mismatched",
                "retries",
                "timeouts",
                "ignored",
            ),
            0,
        )

    def __len__(self) -> int:
        return len(self._pending)

    # ---- queries -----------------------------------------------------------------

    def submit(
        self,
        key: bytes,
        question: bytes,
        qflags: int,
        do: bool,
        servers: Sequence[Upstream],
        waiter: Waiter,
        now: float,
        opt: bytes | None = None,
    ) -> bool:
        """Forward (or join an identical query in flight); False when the table is full.
        `opt`: the OPT record to send (EDNS client info, edns.py); None: ours."""
        p = self._pending.get(key)
        if p is not None:
            for w in p.waiters:
                if w.dest == waiter.dest and w.qid == waiter.qid:
                    self._send_next(p, now)  # the client retried: try another server
                    return True
            if len(p.waiters) >= WAITERS_MAX:
                self.counters["dropped_full"] += 1
                return False
            p.waiters.append(waiter)
            self.counters["coalesced"] += 1
            return True
        if len(self._pending) >= self.policy.forward_max:
            self.counters["dropped_full"] += 1
            return False
        group = tuple(servers)
        start = 0
        if len(group) > 1 and not self.policy.strict_order:
            start = self._preferred.get(group, 0) % len(group)
        p = Pending(
            key, question, qflags & (RD | CD), do, group, [waiter], now, now + self.policy.timeout
        )
        p.next_index = start
        p.opt = opt
        if self.policy.fast_retry is not None:
            p.retry_delay = self.policy.fast_retry[0] / 1000
            p.retry_at = now + p.retry_delay
        self._pending[key] = p
        self.counters["forwarded"] += 1
        if self.policy.all_servers:
            for _ in group:
                self._send_next(p, now)
        else:
            self._send_next(p, now)
        return True

    def _send_next(self, p: Pending, now: float, tcp_to: Upstream | None = None) -> None:
        if tcp_to is not None:
            server = tcp_to
            if p.tcp:
                self.sent[server] = self.sent.get(server, 0) - 1  # uncounted (added below)
        else:
            server = p.servers[p.next_index % len(p.servers)]
            p.next_index += 1
            p.sent += 1
            if p.sent > 1:
                if p.tcp:  # uncounted, the count below included (see mark_tcp)
                    self.sent[server] = self.sent.get(server, 0) - 1
                elif not self.policy.all_servers:
                    self.retried[server] = self.retried.get(server, 0) + 1
        rng, taken = self.rng, self.id_taken
        qid = rng.getrandbits(16)
        if taken is not None and taken(server, qid):
            for _ in range(ID_TRIES - 1):  # an ID the server's shared socket does not carry
                qid = rng.getrandbits(16)
                if not taken(server, qid):
                    break
            else:
                qid = rng.getrandbits(16)
        token = self._next_token
        self._next_token += 1
        p.attempts[token] = (qid, server)
        self._tokens[token] = p
        header = HEADER.pack(qid, p.flags, 1, 0, 0, 1)
        data = header + p.question + (self._opt[p.do] if p.opt is None else p.opt)
        self.sends.append(Send(token, server, data, tcp_to is not None))
        self.sent[server] = self.sent.get(server, 0) + 1

    # ---- upstream events -----------------------------------------------------------

    def on_reply(self, token: int, data: bytes, now: float) -> Done | None:
        """A datagram on `token`'s socket: the finished query, or None (ignored/moved on)."""
        p = self._tokens.get(token)
        if p is None:
            return None
        qid, server = p.attempts[token]
        # RFC 5452 §9.1: our ID, QR set, QDCOUNT 1 and our question byte for byte.  Our
        # question is a well-formed uncompressed one, so a reply that repeats it has its
        # question end exactly where ours does (question_end would find the same offset).
        question = p.question
        qend = 12 + len(question)
        if (
            data[12:qend] != question
            or data[4:6] != b"\x00\x01"
            or not data[2] & 0x80
            or int.from_bytes(data[:2], "big") != qid
        ):
            self.counters["mismatched"] += 1  # not our answer; keep waiting
            return None
        try:
            body = parse_body(data, qend)
        except DecodeError:
            self.counters["mismatched"] += 1  # malformed: not an answer either
            return None
        if self.ignore is not None and self.ignore(body):
            self.counters["ignored"] += 1  # --ignore-address: as if it never came
            return None
        if body.truncated and p.truncated is None and any(w.transport == "tcp" for w in p.waiters):
            p.truncated = body  # a TCP client needs the whole answer: ask again over TCP
            self._send_next(p, now, tcp_to=server)
            return None
        if body.rcode in (Rcode.SERVFAIL, Rcode.REFUSED):
            if not p.tcp:
                self.failed[server] = self.failed.get(server, 0) + 1
            p.failed.add(token)
            if self._can_move_on(p):
                self._send_next(p, now)
                return None
            if len(p.failed) < len(p.attempts):
                return None  # other servers may still answer
        elif len(p.servers) > 1:
            self._preferred[p.servers] = p.servers.index(server)
        return self._finish(p, body, server)

    def on_error(self, token: int, now: float) -> Done | None:
        """The socket of `token` reported an error (ICMP unreachable, send failure)."""
        p = self._tokens.get(token)
        if p is None:
            return None
        _, server = p.attempts[token]
        p.failed.add(token)  # not in `failed`: dnsmasq counts only SERVFAIL/REFUSED replies
        if p.truncated is not None:  # the TCP retry failed: pass the truncated reply on
            return self._finish(p, p.truncated, server)
        if self._can_move_on(p):
            self._send_next(p, now)
            return None
        if len(p.failed) < len(p.attempts):
            return None
        return self._finish(p, None, None)

    def _can_move_on(self, p: Pending) -> bool:
        """Whether a server of the group has not been tried for this query yet."""
        return p.sent < len(p.servers)

    def _finish(self, p: Pending, body: Body | None, server: Upstream | None) -> Done:
        del self._pending[p.key]
        for token in p.attempts:
            del self._tokens[token]
            self.closes.append(token)
        return Done(p, body, server)

    # ---- time ----------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When `on_timer` next has something to do, or None."""
        if self.policy.fast_retry is None:
            # Every query gets the same timeout and the dict keeps insertion order: the
            # oldest query has the earliest deadline (O(1) on the hot path).
            for p in self._pending.values():
                return p.deadline
            return None
        best: float | None = None
        for p in self._pending.values():
            t = p.deadline if p.retry_at is None else min(p.deadline, p.retry_at)
            if best is None or t < best:
                best = t
        return best

    def on_timer(self, now: float) -> list[Done]:
        """Resend what is due for a retry; give up (SERVFAIL) on what passed its deadline."""
        done: list[Done] = []
        for p in list(self._pending.values()):
            if p.deadline <= now:
                self.counters["timeouts"] += 1  # not a per-server failure (dnsmasq)
                done.append(self._finish(p, None, None))
                continue
            if p.retry_at is not None and p.retry_at <= now:
                fast = self.policy.fast_retry
                total = fast[1] / 1000 if fast is not None else 0.0
                self.counters["retries"] += 1
                self._send_next(p, now)
                p.retry_delay *= 2
                nxt = now + p.retry_delay
                p.retry_at = nxt if nxt - p.started <= total else None
        return done

    def mark_tcp(self, sends_before: int) -> None:
        """The query just submitted (the newest in flight) came from a TCP client: its sends
        leave the per-server counters, the first ones (from `sends_before` on) at once.
        Off the UDP path: stats.tcp_counted calls it for TCP queries only."""
        p = self._pending[next(reversed(self._pending))]
        p.tcp = True
        for send in self.sends[sends_before:]:
            if self._tokens.get(send.token) is p:
                self.sent[send.server] = self.sent.get(send.server, 0) - 1

    def is_open(self, token: int) -> bool:
        """Whether `token`'s upstream query still waits for a reply."""
        return token in self._tokens

    def take(self) -> tuple[list[Send], list[int]]:
        """The sends and socket closes produced since the last call."""
        sends, closes = self.sends, self.closes
        self.sends, self.closes = [], []
        return sends, closes
