"""Which address a DHCPv4 client gets, and for how long (RFC 2131 §4.3.1, dnsmasq rfc2131.c).

Order of choice: the client's --dhcp-host address, its current lease, the address it was
just offered, the one it asks for (option 50), then a walk of the dynamic ranges from a
hash of the MAC (allocate.py; --dhcp-sequential-ip walks from the bottom).  An address is
*taken* when it is our own, off the link, leased to another client, offered to another
client (OFFER_HOLD: lanctl reserves offers, dnsmasq does not, ARCHITECTURE §5), declined
lately (DECLINE_BACKOFF, dnsmasq's 600 s) or reserved by another --dhcp-host line.  The
lease time is the range's, else the host's, shortened to what the client asks (never
below MIN_LEASE).  Pure, sans-IO; the offers and quarantine tables live here.
"""

from __future__ import annotations

from collections import deque
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4 import allocate
from lanctl.dhcp4.context import Link, Request
from lanctl.dhcp4.leasetable import LeaseTable
from lanctl.dhcp4.reply import INFINITE
from lanctl.dhcp4.wire import Opt

__all__ = ["DECLINE_BACKOFF", "MIN_LEASE", "OFFER_HOLD", "Chooser"]

OFFER_HOLD: Final = 60.0  # seconds an offered address stays reserved for its client
DECLINE_BACKOFF: Final = 600.0  # dnsmasq DECLINE_BACKOFF
MIN_LEASE: Final = 120  # dnsmasq: a client may not ask for less


class Chooser:
    """Address choice over the lease table, the offers made and the declined addresses."""

    def __init__(self, cfg: Dhcp4Cfg, table: LeaseTable) -> None:
        self.cfg = cfg
        self.table = table
        self.offers: dict[IPv4Address, tuple[bytes, float]] = {}
        self.offer_of: dict[bytes, IPv4Address] = {}  # client key -> offered address
        self.declined: dict[IPv4Address, float] = {}
        self.reserved: dict[IPv4Address, DhcpHost] = {}
        # Offers in the order they run out (OFFER_HOLD is constant): purging looks only at
        # the ones due, not at every offer (tens of thousands under load).
        self._due: deque[tuple[float, IPv4Address, bytes]] = deque()

    def purge(self, now: float) -> None:
        """Forget offers and quarantines that have run out."""
        due, offers, offer_of = self._due, self.offers, self.offer_of
        while due and due[0][0] <= now:
            _, addr, key = due.popleft()
            entry = offers.get(addr)
            if entry is not None and entry[1] <= now:
                del offers[addr]
                entry = None
            if (entry is None or entry[0] != key) and offer_of.get(key) == addr:
                del offer_of[key]
        if self.declined:
            for addr in [a for a, t in self.declined.items() if t <= now]:
                del self.declined[addr]

    def held_for(self, ctx: Request) -> IPv4Address | None:
        """The address offered to this client and still held for it, if any."""
        held = self.offer_of.get(ctx.key)
        entry = self.offers.get(held) if held is not None else None
        return held if entry is not None and entry[0] == ctx.key else None

    def offer(self, ctx: Request, addr: IPv4Address, now: float) -> None:
        """Hold `addr` for this client for OFFER_HOLD seconds."""
        key = ctx.key
        self.offers[addr] = (key, now + OFFER_HOLD)
        self.offer_of[key] = addr
        self._due.append((now + OFFER_HOLD, addr, key))

    def withdraw(self, ctx: Request) -> None:
        """The client took another server's offer: release ours."""
        held = self.offer_of.pop(ctx.key, None)
        if held is not None and self.offers.get(held, (b"",))[0] == ctx.key:
            del self.offers[held]

    def decline(self, addr: IPv4Address, now: float) -> None:
        self.offers.pop(addr, None)
        self.declined[addr] = now + DECLINE_BACKOFF

    def taken(self, ctx: Request, addr: IPv4Address, now: float) -> bool:
        """Whether `addr` is unavailable to this client (held, offered, declined, reserved)."""
        link = ctx.link
        bounds = _BOUNDS.get(id(link))
        if bounds is None or bounds[0] is not link:
            bounds = _bounds(link)
        if bounds[1] < 0:  # --shared-network subnets: the general test
            if addr == link.server or not link.contains(addr):
                return True
        else:  # ints: IPv4Address comparisons and `in` are slow, pure Python
            a = int(addr)
            if a == bounds[1] or not bounds[2] <= a < bounds[3]:  # ours, or the broadcast
                return True
        lease = self.table.get(addr)
        if lease is not None and not lease.expired(int(now)):
            mine = self.table.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
            if mine is None or mine.address != addr:
                return True
        offer = self.offers.get(addr)
        if offer is not None and offer[1] > now and offer[0] != ctx.key:
            return True
        if self.declined and self.declined.get(addr, 0.0) > now:  # (hashing one costs)
            return True
        owner = self.reserved.get(addr) if self.reserved else None
        return owner is not None and owner is not ctx.host

    def allowed(self, ctx: Request, addr: IPv4Address) -> bool:
        """An address this client may hold: its reservation or one in a dynamic range."""
        if ctx.host is not None and ctx.host.ipv4 == addr:
            return True
        a = int(addr)  # int comparisons: IPv4Address's <= is slow (functools.total_ordering)
        for rng in ctx.ranges:
            span = _SPANS.get(id(rng))
            if span is None or span[0] is not rng:
                span = _span(rng)
            if span[3] and span[1] <= a <= span[2]:
                return True
        return False

    def pick(self, ctx: Request, now: float) -> IPv4Address | None:
        host, req = ctx.host, ctx.req
        fixed = host.ipv4 if host is not None else None
        if fixed is not None and ctx.link.contains(fixed) and not self.taken(ctx, fixed, now):
            return fixed
        mine = self.table.client_lease(ctx.client_id, req.htype, req.mac)
        if (
            mine is not None
            and self.allowed(ctx, mine.address)
            and not self.taken(ctx, mine.address, now)
        ):
            return mine.address
        held = self.offer_of.get(ctx.key)
        entry = self.offers.get(held) if held is not None else None
        fresh = entry is not None and entry[0] == ctx.key and entry[1] > now
        if held is not None and fresh and self.allowed(ctx, held):
            return held
        if mine is None and len(self.table) >= self.cfg.dhcp_lease_max:
            return None
        want = req.address_option(Opt.REQUESTED_ADDRESS)
        if want is not None and self.allowed(ctx, want) and not self.taken(ctx, want, now):
            return want
        return allocate.walk(
            ctx.ranges,
            req.mac,
            lambda a: self.taken(ctx, a, now),
            sequential=self.cfg.dhcp_sequential_ip,
            highest=lambda rng: self.table.highest(rng.start, rng.end),
        )

    def lease_time(self, ctx: Request, addr: IPv4Address) -> int:
        rng = range_of(ctx, addr)
        time = rng.lease if rng is not None else 3600
        if ctx.host is not None and ctx.host.lease is not None:
            time = ctx.host.lease
        raw = ctx.req.options.get(Opt.LEASE_TIME)
        if raw is not None and len(raw) == 4:  # dnsmasq: honour a shorter requested time
            asked = max(int.from_bytes(raw, "big"), MIN_LEASE)
            if time == INFINITE or (asked != INFINITE and asked < time):
                time = asked
        return time


# Per object (by identity, the object kept so its id stays its own): the ints that the
# checks above compare, computed once per link and range instead of per address.
_BOUNDS: dict[int, tuple[Link, int, int, int]] = {}  # link, server, network, broadcast
_SPANS: dict[int, tuple[Dhcp4Range, int, int, bool]] = {}  # range, start, end, dynamic


def _bounds(link: Link) -> tuple[Link, int, int, int]:
    """server, first address, broadcast address of a link's own network; -1s if shared."""
    if len(_BOUNDS) > 4096:
        _BOUNDS.clear()
    net = link.network
    if link.shared:
        done = (link, -1, -1, -1)
    else:
        done = (link, int(link.server), int(net.network_address), int(net.broadcast_address))
    _BOUNDS[id(link)] = done
    return done


def _span(rng: Dhcp4Range) -> tuple[Dhcp4Range, int, int, bool]:
    if len(_SPANS) > 4096:
        _SPANS.clear()
    done = _SPANS[id(rng)] = (rng, int(rng.start), int(rng.end), rng.mode == "dynamic")
    return done


def range_of(ctx: Request, addr: IPv4Address) -> Dhcp4Range | None:
    """The client's range holding `addr`, else its first range."""
    if len(ctx.ranges) == 1:  # either way the answer
        return ctx.ranges[0]
    a = int(addr)
    for rng in ctx.ranges:
        if int(rng.start) <= a <= int(rng.end):
            return rng
    return ctx.ranges[0] if ctx.ranges else None
