"""The ping check before an offer (dnsmasq do_icmp_ping; --no-ping turns it off): pure state.

dnsmasq pings an address it is about to offer from a dynamic range or because the client
asked for it (never a --dhcp-host address nor the client's own lease) and waits up to
PING_WAIT (3 s) for an echo reply; answered means in use, and another address is tried.
An address that stayed silent is trusted for PING_CACHE_TIME (30 s) without a new ping,
and when more than 60% of the possible pings were sent in the last 30 s (6), dnsmasq is
"in high-load mode" and offers without pinging.  dnsmasq blocks while it waits; lanctl
instead returns a `Probe` effect, holds the address for the client, drops the client's
retransmissions meanwhile, and resumes the DISCOVER when the adapter reports the result
(Dhcp4Engine.on_probe_result).  An address found in use is skipped for PING_CACHE_TIME.
"""

from __future__ import annotations

from collections import deque
from ipaddress import IPv4Address
from typing import Final

from lanctl.dhcp4.context import Request
from lanctl.dhcp4.effects import PING_WAIT, Probe

__all__ = ["MAX_RECENT", "PING_CACHE_TIME", "PING_WAIT", "PingCheck"]

PING_CACHE_TIME: Final = 30.0  # dnsmasq PING_CACHE_TIME
MAX_RECENT: Final = int(0.6 * PING_CACHE_TIME / PING_WAIT)  # 6 pings per 30 s, then none


class PingCheck:
    """Outstanding pings, recent silent addresses, and the high-load limit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.pending: dict[IPv4Address, Request] = {}
        self.silent: dict[IPv4Address, float] = {}  # address -> when a ping went unanswered
        self.recent: deque[float] = deque()  # when each ping of the last 30 s was sent

    def needed(self, ctx: Request, addr: IPv4Address, now: float, *, checked: bool) -> bool:
        """Whether to ping `addr` before offering it (True also while one is out).

        `checked`: the address is the host's, the client's lease, or already offered to it.
        """
        if addr in self.pending:
            return True  # the answer comes with the result (retransmissions are dropped)
        if not self.enabled or checked:
            return False
        if ctx.inb.iface == "lo" and ctx.req.giaddr == IPv4Address(0):
            return False  # dnsmasq: never on the loopback interface
        seen = self.silent.get(addr)
        if seen is not None and now - seen < PING_CACHE_TIME:
            return False
        while self.recent and now - self.recent[0] > PING_CACHE_TIME:
            self.recent.popleft()
        return len(self.recent) < MAX_RECENT  # else high-load mode: offer without a ping

    def start(self, ctx: Request, addr: IPv4Address, now: float) -> Probe:
        self.pending[addr] = ctx
        self.recent.append(now)
        return Probe(addr, PING_WAIT)

    def result(self, addr: IPv4Address, in_use: bool, now: float) -> Request | None:
        """The request waiting on `addr` (None if none); remembers a silent address."""
        ctx = self.pending.pop(addr, None)
        if ctx is not None and not in_use:
            self.silent[addr] = now
        return ctx

    def purge(self, now: float) -> None:
        for addr in [a for a, t in self.silent.items() if now - t >= PING_CACHE_TIME]:
            del self.silent[addr]
