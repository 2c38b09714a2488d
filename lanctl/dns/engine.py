"""DnsEngine: the sans-IO DNS query engine for local data (no forwarding yet).

Consumes --local-ttl (through LocalData), --log-queries, --edns-packet-max and --cache-size
(reported only: nothing is cached from upstream in this slice).  RFC 1035 §4.1 replies,
RFC 6891 EDNS sizes, RFC 8914 EDE on REFUSED, RFC 9619 QDCOUNT=1.

Rules / theory of operation:
- A query is peeked with `wire.decode_query` (struct only).  Responses (QR=1) and packets
  shorter than a header are dropped; other malformed queries get FORMERR (header only:
  dnsmasq drops or REFUSEs these; RELIABILITY.md §3a asks for FORMERR); opcodes other than
  QUERY get NOTIMP (RFC 1035 §4.1.1; dnsmasq answers REFUSED).
- Class IN questions are answered from `LocalData` (see local.py for the precedence);
  what local data cannot answer would be forwarded; with no upstream servers (the only
  configuration this slice accepts) dnsmasq answers REFUSED with EDE 14 "not ready": so do we.
- Class CHAOS TXT/ANY for cachesize.bind, insertions.bind, evictions.bind, misses.bind,
  hits.bind, auth.bind, servers.bind and version.bind answer statistics, as dnsmasq does.
  Other classes: REFUSED.
- Answers are rendered once and memoised by (lowercased qname, qtype, qclass); a hit costs
  a dict lookup and one bytes concatenation (ARCHITECTURE §5).  The memo is bounded and is
  dropped by `clear_cache()` and when local data is replaced (SIGHUP).
- UDP replies are cut to 512 bytes without EDNS, else to min(client size, edns-packet-max)
  (never below 512), keeping whole RRs and setting TC; TCP replies are never cut.
- "hits" counts every query answered without forwarding (dnsmasq's hits.bind counts the
  REFUSED ones too); "misses" counts forwarded queries, 0 here.
"""

from __future__ import annotations

import random
import struct
from typing import Final, Literal

from lanctl import __version__
from lanctl.config.model import DnsCfg
from lanctl.dns.answers import (
    NAME_MARK,
    Rendered,
    build_reply,
    render_empty,
    render_local,
    render_txt,
)
from lanctl.dns.local import LocalData
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
_CHAOS_NAMES: Final = (
    "cachesize", "insertions", "evictions", "misses", "hits", "auth", "servers", "version",
)  # fmt: skip
_CHAOS: Final = {b"".join(bytes([len(n)]) + n.encode() for n in (name, "bind")) + b"\x00": name
                 for name in _CHAOS_NAMES}  # fmt: skip
_REFUSED_LOG: Final = "config error is REFUSED (EDE: not ready)"


class DnsEngine:
    """Answers DNS queries from local data; see the module docstring for the rules."""

    def __init__(
        self, cfg: DnsCfg, local: LocalData, *, rng: random.Random, version: str = __version__
    ) -> None:
        self.cfg = cfg
        self.local = local
        self.rng = rng  # reserved for query IDs/ports once forwarding exists
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
        # Fast-path entries: qname + raw QTYPE/QCLASS -> (count octets, answer RRs).
        self._fast: dict[bytes, tuple[bytes, bytes]] = {}
        self.fast_hits = 0
        self._refused = render_empty(Rcode.REFUSED, False, _REFUSED_LOG)
        self._logs: list[str] = []
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "queries", "hits", "local_answers", "nxdomain", "nodata", "refused", "formerr",
                "notimp", "servfail", "dropped", "truncated", "tcp_queries",
            ),
            0,
        )  # fmt: skip

    # ---- input -----------------------------------------------------------------

    def on_query(
        self, data: bytes, peer: Peer, now: float, transport: Transport = "udp"
    ) -> bytes | None:
        """Answer one query: the reply bytes, or None to drop.  Never raises for bad input."""
        # Fast path (ARCHITECTURE §5): a plain UDP query (QR=0, opcode 0, QDCOUNT=1, no other
        # records) for an answer already rendered.  The name ends at the first zero octet;
        # a zero inside a binary label gives a slice that is not a well-formed name and so
        # never matches a key (keys are well-formed names).  Misses take the full path.
        if (
            data[4:12] == b"\x00\x01\x00\x00\x00\x00\x00\x00"
            and not data[2] & 0xF8
            and transport == "udp"
        ):
            end = data.find(0, 12) + 5
            if end > 16 and len(data) >= end:
                hit = self._fast.get(data[12 : end - 4].lower() + data[end - 4 : end])
                if hit is not None:
                    self.fast_hits += 1
                    flags = bytes((0x84 | (data[2] & 0x01), 0x80 | (data[3] & 0x10)))
                    return data[:2] + flags + hit[0] + data[12:end] + hit[1]
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
            r = self._resolve(q, key)
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

    def _resolve(self, q: Query, key: tuple[bytes, int, int]) -> Rendered:
        if q.qclass == QClass.IN:
            ans = self.local.answer(q.qname_lower, q.qtype)
            if ans is None:
                return self._refused
            r = render_local(ans, q.qtype)
            if len(self._memo) >= MEMO_MAX:
                self._memo.clear()
                self._fast.clear()
            self._memo[key] = r
            fits = r.ends and q.question_end + r.ends[-1] <= MIN_UDP
            if fits and r.flags == AA and not self.log_queries:
                # Positive answer that fits 512 bytes: also serve it from the fast path
                # (never with --log-queries: every query must then be logged).
                counts = struct.pack("!HHHH", 1, len(r.ends), 0, 0)
                self._fast[q.qname_lower + struct.pack("!HH", q.qtype, q.qclass)] = (counts, r.rrs)
            return r
        if q.qclass == QClass.CH and q.qtype in (QType.TXT, QType.ANY):
            which = _CHAOS.get(q.qname_lower)
            if which is not None:
                return self._chaos(which)
        return self._refused

    def _chaos(self, which: str) -> Rendered:
        if which == "servers":
            # dnsmasq sends a TXT RR with empty RDATA here when it has no servers, which
            # dig reports as malformed; an empty NOERROR answer says the same, validly.
            return render_empty(Rcode.NOERROR, True, f"config {NAME_MARK} is <TXT>")
        if which == "version":
            return render_txt(self.version, QClass.CH)
        values = {
            "cachesize": self.cfg.cache_size,
            "insertions": 0,
            "evictions": 0,
            "misses": 0,
            "hits": self.counters["hits"] + self.fast_hits,
            "auth": 0,
        }
        return render_txt(str(values[which]), QClass.CH)

    def _log_query(self, q: Query, r: Rendered, peer: Peer) -> None:
        name = name_text(q.qname)
        self._logs.append(f"query[{qtype_text(q.qtype)}] {name} from {peer[0]}")
        self._logs.extend(line.replace(NAME_MARK, name) for line in r.logs)

    # ---- outputs and control ------------------------------------------------------

    def take_logs(self) -> list[str]:
        """The --log-queries lines produced since the last call (dnsmasq's format)."""
        logs, self._logs = self._logs, []
        return logs

    def clear_cache(self) -> int:
        """Drop every pre-rendered answer; returns how many there were."""
        n = len(self._memo)
        self._memo.clear()
        self._fast.clear()
        return n

    def set_local(self, local: LocalData) -> None:
        """Replace the local data (SIGHUP reload); pre-rendered answers are dropped."""
        self.local = local
        self._memo.clear()
        self._fast.clear()

    def stats(self) -> dict[str, int]:
        """Counters for the control socket, SIGUSR1 and the CHAOS names."""
        out = {
            "cachesize": self.cfg.cache_size,
            "insertions": 0,
            "evictions": 0,
            "misses": 0,
            "forwarded": 0,
            "auth": 0,
            "local_names": len(self.local),
            "prerendered": len(self._memo),
        }
        out.update(self.counters)
        # Fast-path answers are counted here rather than per packet.
        for name in ("queries", "hits", "local_answers"):
            out[name] += self.fast_hits
        return out

    def log_stats(self) -> list[str]:
        """SIGUSR1 lines in dnsmasq's shape."""
        answered = self.counters["hits"] + self.fast_hits
        return [
            f"cache size {self.cfg.cache_size}, 0/0 cache insertions re-used unexpired cache "
            "entries.",
            f"queries forwarded 0, queries answered locally {answered}",
            "queries for authoritative zones 0",
        ]
