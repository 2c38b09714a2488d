"""CHAOS-class TXT answers for the *.bind names, as dnsmasq 2.90 gives them.

cachesize.bind, insertions.bind, evictions.bind, misses.bind, hits.bind and auth.bind answer
counters; version.bind the version; servers.bind one string per upstream server (the
engine's resolver renders it).  Split out of engine.py; the engine supplies the values.
Other class CHAOS names under "bind" or "server" (all of them with --no-ident) are
answered NOTIMP, not authoritative, logging "config NAME is not implemented (EDE: unknown)"
(dnsmasq 2.90 on the wire: it never forwards those; no EDE option in the reply).  Other
CHAOS names are forwarded like any question, with --no-ident too (dnsmasq 2.90).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Final

from lanctl.dns.answers import NAME_MARK, Rendered, render_empty, render_txt
from lanctl.dns.wire import AA, QClass, QType, Rcode

_NAMES: Final = (
    "cachesize", "insertions", "evictions", "misses", "hits", "auth", "servers", "version",
)  # fmt: skip
CHAOS: Final = {b"".join(bytes([len(n)]) + n.encode() for n in (name, "bind")) + b"\x00": name
                for name in _NAMES}  # fmt: skip
"""Wire name (lowercase) -> which statistic."""
_RESERVED: Final = (b"\x04bind\x00", b"\x06server\x00")
NOT_IMPLEMENTED: Final = render_empty(
    Rcode.NOTIMP, False, f"config {NAME_MARK} is not implemented (EDE: unknown)"
)


def reserved(qname: bytes) -> bool:
    """True for `bind`, `server` and names under them (wire form, lowercase): dnsmasq
    answers those class CHAOS queries itself, NOTIMP when it has no record."""
    off = 0
    while qname[off:] not in _RESERVED:
        if off >= len(qname) or not qname[off]:
            return False
        off += qname[off] + 1
    return True


def chaos_answer(
    which: str, version: str, servers: bytes | None, values: Mapping[str, int]
) -> Rendered:
    """The answer for CHAOS name `which`; `servers` is the servers.bind RDATA (None: no
    servers), `values` the counters by name."""
    if which == "servers":
        if servers is None:
            # dnsmasq sends a TXT RR with empty RDATA here when it has no servers, which
            # dig reports as malformed; an empty NOERROR answer says the same, validly.
            return render_empty(Rcode.NOERROR, True, f"config {NAME_MARK} is <TXT>")
        rec = struct.pack("!HHHIH", 0xC00C, QType.TXT, QClass.CH, 0, len(servers)) + servers
        return Rendered(AA, rec, (len(rec),), (f"config {NAME_MARK} is <TXT>",))
    if which == "version":
        return render_txt(version, QClass.CH)
    return render_txt(str(values[which]), QClass.CH)
