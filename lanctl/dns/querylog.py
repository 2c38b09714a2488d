"""--log-queries=extra: dnsmasq 2.90's "<serial> <addr>/<port> " prefix on query log lines.

dnsmasq numbers the client queries it receives from 1 and starts every log line that belongs
to a query with that serial and the client's address and port (the upstream reply lines too,
with the serial of the query that was forwarded).  A TCP connection is served by a child
process that takes the next serials for its queries while the parent skips 100 (dnsmasq's
TCP_MAX_QUERIES), so the serial jumps by 100 after each TCP connection: `tcp_block` does the
same.  Lines that are not about one query (warnings) keep no prefix in dnsmasq; here the
engine prefixes what a query produced, warnings raised while answering it included.
`reply_lines`: the "reply"/"cached" lines of a forwarded answer, one per address or TXT
string and one per other record, under the record's own name (a CNAME chain's target
too), "reply error is SERVFAIL" for an upstream's error, as dnsmasq 2.90 logs them.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable
from typing import Final, Protocol

from lanctl.dns.reply import Body, summary
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import QType, name_text, qtype_text

TCP_SERIALS: Final = 100  # dnsmasq TCP_MAX_QUERIES: serials a TCP connection reserves


class QueryLog:
    """The serial counter of --log-queries=extra."""

    __slots__ = ("serial", "tcp_next")

    def __init__(self) -> None:
        self.serial = 0
        self.tcp_next: int | None = None  # the serial of the next TCP query (tcp_block)

    def tcp_block(self) -> int:
        """A TCP connection was accepted: the serial before its block of 100."""
        base = self.serial
        self.serial += TCP_SERIALS
        return base

    def prefix(self, peer: tuple[object, ...], transport: str) -> str:
        """The prefix for the next query from `peer` (a serial is used up)."""
        if transport == "tcp" and self.tcp_next is not None:
            n, self.tcp_next = self.tcp_next, None
        else:
            self.serial += 1
            n = self.serial
        return f"{n} {peer[0]}/{peer[1]} "


class _Prefixed(Protocol):
    log_prefix: str | None


def with_prefix(
    full: Callable[..., bytes | None], lines: list[str], resolver: _Prefixed, serials: QueryLog
) -> Callable[..., bytes | None]:
    """The engine's `full_query` with --log-queries=extra: the lines a query adds to
    `lines` get its prefix; a forwarded query leaves the prefix to the resolver (as
    `log_prefix`) for the reply lines that come later."""

    def query(data: bytes, peer: tuple[object, ...], now: float, transport: str = "udp",
              *args: object) -> bytes | None:  # fmt: skip
        prefix = serials.prefix(peer, transport)
        mark = len(lines)
        resolver.log_prefix = prefix
        try:
            return full(data, peer, now, transport, *args)
        finally:
            resolver.log_prefix = None
            stamp(lines, mark, prefix)

    return query


def stamp(lines: list[str], start: int, prefix: str) -> None:
    """Prefix lines[start:] in place."""
    for i in range(start, len(lines)):
        lines[i] = prefix + lines[i]


def server_text(server: Upstream) -> str:
    """A server as dnsmasq's "forwarded NAME to ..." line spells it: "#port" only when
    the port is not 53."""
    return server.address if server.port == 53 else f"{server.address}#{server.port}"


_ERRORS: Final = frozenset(("SERVFAIL", "REFUSED"))  # logged as "<source> error is ..."
_RR: Final = struct.Struct("!HHIH")
_NODATA: Final = {b"\x00\x01": "NODATA-IPv4", b"\x00\x1c": "NODATA-IPv6"}  # by QTYPE


def _read_name(msg: bytes, off: int) -> tuple[bytes, int]:
    """The uncompressed wire name at `off` and the offset past it (pointers followed)."""
    labels: list[bytes] = []
    end = -1
    for _ in range(128):  # bounded: a pointer loop ends here
        n = msg[off]
        if n >= 0xC0:
            if end < 0:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            continue
        if n == 0:
            return b"".join(labels) + b"\x00", end if end >= 0 else off + 1
        labels.append(msg[off : off + n + 1])
        off += n + 1
    raise ValueError("name too long")


def _answers(question: bytes, body: Body) -> list[tuple[str, str]] | None:
    """(owner, value) of the answer records in dnsmasq's log order: from the question's
    name along the CNAME chain, each name's records last first (as dnsmasq 2.90 logs
    them); None for PTR answers (one summary line)."""
    msg = bytes(12) + question + body.data  # the pointers of `data` count from the header
    off = 12 + len(question)
    by_owner: dict[bytes, list[tuple[str, str]]] = {}
    targets: dict[bytes, bytes] = {}
    for _ in range(body.counts[0]):
        owner, off = _read_name(msg, off)
        rtype, _, _, size = _RR.unpack_from(msg, off)
        start, off = off + 10, off + 10 + size
        rdata = msg[start:off]
        key, text = owner.lower(), name_text(owner)
        rows = by_owner.setdefault(key, [])
        if rtype in (QType.A, QType.AAAA):
            rows.append((text, str(ipaddress.ip_address(rdata))))
        elif rtype == QType.TXT:
            strings, i = [], 0
            while i < len(rdata):
                strings.append((text, rdata[i + 1 : i + 1 + rdata[i]].decode(errors="replace")))
                i += rdata[i] + 1
            rows.extend(reversed(strings))  # reversed twice below: in order within a record
        elif rtype == QType.PTR:
            return None
        else:
            if rtype == QType.CNAME:
                targets[key] = _read_name(msg, start)[0].lower()
            rows.append((text, f"<{qtype_text(rtype)}>"))
    out: list[tuple[str, str]] = []
    name: bytes | None = question[:-4].lower()
    while name is not None and name in by_owner:
        out.extend(reversed(by_owner.pop(name)))
        name = targets.get(name)
    return out


def reply_lines(source: str, name: str, question: bytes, body: Body) -> list[str]:
    """dnsmasq's "<source> NAME is VALUE" lines for a forwarded or cached answer."""
    try:
        answers = _answers(question, body) if body.counts[0] else None
    except (ValueError, IndexError, struct.error):  # never trust a reply's layout in a log
        answers = None
    if answers:
        return [f"{source} {owner} is {value}" for owner, value in answers]
    what = summary(body)
    if what == "NODATA" and question[-4:-2] in _NODATA:
        what = _NODATA[question[-4:-2]]
    return [f"{source} error is {what}" if what in _ERRORS else f"{source} {name} is {what}"]
