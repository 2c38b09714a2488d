"""--dns-loop-detect: find upstream servers that send our queries back to us (pure).

dnsmasq 2.90 man page and wire behaviour: when the set of upstream servers is (re)loaded,
a TXT query for "<8 hex digits>.test" (RD set, no EDNS) goes to each server; the hex is a
random UID that names the server it was sent to.  If that query later arrives at us as a
client query, the server loops: it is disabled ("NOT using nameserver ADDR#PORT - query loop
detected", then the usable servers are listed again) and the looping query is dropped, not
answered.  Each time the set of servers changes, the test runs again on all of them,
including those disabled before.  servers.bind keeps listing disabled servers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import QType, encode_name


class LoopDetect:
    """Outstanding test names and the servers found looping."""

    def __init__(self) -> None:
        self._uids: dict[bytes, Upstream] = {}
        self.disabled: set[Upstream] = set()
        self.tested: frozenset[Upstream] | None = None  # the set the last test ran on
        self.due = False

    def servers_changed(self, servers: Iterable[Upstream]) -> bool:
        """Note the current servers; True (and a test due) when the set changed."""
        now = frozenset(servers)
        if now == self.tested:
            return False
        self.tested = now
        self.disabled.clear()
        self.due = True
        return True

    def probes(
        self, servers: Iterable[Upstream], rng: random.Random
    ) -> list[tuple[Upstream, bytes]]:
        """(server, question section) of the test query for each server; the UIDs are kept."""
        self.due = False
        self._uids.clear()
        out: list[tuple[Upstream, bytes]] = []
        for server in servers:
            name = encode_name(f"{rng.getrandbits(32):08x}.test")
            self._uids[name] = server
            out.append((server, name + QType.TXT.to_bytes(2, "big") + b"\x00\x01"))
        return out

    def looped(self, qname_lower: bytes, qtype: int) -> Upstream | None:
        """The server a client query shows to loop (and disables it), or None."""
        if qtype != QType.TXT:
            return None
        server = self._uids.pop(qname_lower, None)
        if server is not None:
            self.disabled.add(server)
        return server
