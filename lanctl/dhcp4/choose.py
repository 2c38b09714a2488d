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

import math
from collections import deque
from collections.abc import Iterable
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4 import allocate
from lanctl.dhcp4.context import Link, Request
from lanctl.dhcp4.leasetable import AddrDict, LeaseTable
from lanctl.dhcp4.occupancy import OFFERED
from lanctl.dhcp4.reply import INFINITE
from lanctl.dhcp4.wire import Opt
from lanctl.store.lease import INFINITE as NEVER  # a lease that never expires
from lanctl.store.lease import Lease4

__all__ = ["DECLINE_BACKOFF", "MIN_LEASE", "OFFER_HOLD", "Chooser"]

OFFER_HOLD: Final = 60.0  # seconds an offered address stays reserved for its client
DECLINE_BACKOFF: Final = 600.0  # dnsmasq DECLINE_BACKOFF
MIN_LEASE: Final = 120  # dnsmasq: a client may not ask for less


class Chooser:
    """Address choice over the lease table, the offers made and the declined addresses."""

    def __init__(self, cfg: Dhcp4Cfg, table: LeaseTable) -> None:
        self.cfg = cfg
        self.table = table
        # By address; each also by int(address) (AddrDict.ints) for the walk's probes.
        # An offer is (client key, until), one per client at most (hold()); the walk skips
        # offered addresses with the leased ones (occupancy.py).
        self.offers: AddrDict[tuple[bytes, float]] = AddrDict()
        self.offers.marked_in(table.marks, OFFERED)
        self.offer_of: dict[bytes, IPv4Address] = {}  # client key -> offered address
        self.declined: AddrDict[float] = AddrDict()
        self._reserved: AddrDict[DhcpHost] = AddrDict()
        # Offers in the order they run out (OFFER_HOLD is constant): purging looks only at
        # the ones due, not at every offer (tens of thousands under load), and after it
        # every offer left is live.  If the clock went back, the order holds again once it
        # passes the latest expiry there was then (_late_until; `walk` probes till then).
        self._due: deque[tuple[float, IPv4Address, bytes]] = deque()
        self._due_max = -math.inf
        self._late_until = -math.inf

    @property
    def reserved(self) -> dict[IPv4Address, DhcpHost]:
        """--dhcp-host addresses and their lines (set by the engine)."""
        return self._reserved

    @reserved.setter
    def reserved(self, hosts: dict[IPv4Address, DhcpHost]) -> None:
        self._reserved = AddrDict(hosts)

    def purge(self, now: float) -> None:
        """Forget offers and quarantines that have run out."""
        self._purge_offers(now)
        if self.declined:
            for addr in [a for a, t in self.declined.items() if t <= now]:
                del self.declined[addr]

    def _purge_offers(self, now: float) -> None:
        due, offers, offer_of = self._due, self.offers, self.offer_of
        while due and due[0][0] <= now:
            _, addr, key = due.popleft()
            entry = offers.get(addr)
            if entry is not None and entry[1] <= now:
                del offers[addr]
                entry = None
            if (entry is None or entry[0] != key) and offer_of.get(key) == addr:
                del offer_of[key]

    def held_for(self, ctx: Request) -> IPv4Address | None:
        """The address offered to this client and still held for it, if any."""
        held = self.offer_of.get(ctx.key)
        entry = self.offers.get(held) if held is not None else None
        return held if entry is not None and entry[0] == ctx.key else None

    def offer(self, ctx: Request, addr: IPv4Address, now: float) -> None:
        """Hold `addr` for this client for OFFER_HOLD seconds."""
        self.hold(ctx.key, addr, now + OFFER_HOLD)

    def hold(self, key: bytes, addr: IPv4Address, until: float) -> None:
        """Offer `addr` to the client `key` until then, in place of any other offer to it."""
        offers = self.offers
        before = self.offer_of.get(key)
        if before is not None and before != addr and offers.get(before, (b"",))[0] == key:
            del offers[before]
        offers[addr] = (key, until)
        self.offer_of[key] = addr
        self._due.append((until, addr, key))
        if until < self._due_max:  # the clock went back: out of order until it passes this
            self._late_until = self._due_max
        else:
            self._due_max = until

    def withdraw(self, ctx: Request) -> None:
        """The client took another server's offer: release ours."""
        held = self.offer_of.pop(ctx.key, None)
        if held is not None and self.offers.get(held, (b"",))[0] == ctx.key:
            del self.offers[held]

    def decline(self, addr: IPv4Address, now: float) -> None:
        self.offers.pop(addr, None)
        self.declined[addr] = now + DECLINE_BACKOFF

    def taken(self, ctx: Request, addr: IPv4Address, now: float) -> bool:
        """Whether `addr` is unavailable to this client (held, offered, declined, reserved).

        `walk` inlines the same test on ints: change both together
        (tests/dhcp4/test_walk_equivalence.py holds them to one rule).
        """
        link = ctx.link
        bounds = _BOUNDS.get(id(link))
        if bounds is None or bounds[0] is not link:
            bounds = _bounds(link)
        a = int(addr)  # ints: IPv4Address comparisons, hashing and `in` are slow, pure Python
        if bounds[1] < 0:  # --shared-network subnets: the general test
            if addr == link.server or not link.contains(addr):
                return True
        elif a == bounds[1] or not bounds[2] <= a < bounds[3]:  # ours, or the broadcast
            return True
        lease = self.table.leases.ints.get(a)
        if lease is not None and not lease.expired(int(now)):
            mine = self.table.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
            if mine is None or mine.address != addr:
                return True
        return not self._open(a, ctx, now)

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
        key = ctx.key
        held = self.offer_of.get(key)
        entry = self.offers.get(held) if held is not None else None
        fresh = entry is not None and entry[0] == key and entry[1] > now
        if held is not None and fresh and self.allowed(ctx, held):
            return held
        if mine is None and len(self.table.leases) >= self.cfg.dhcp_lease_max:
            return None
        want = req.address_option(Opt.REQUESTED_ADDRESS)
        if want is not None and self.allowed(ctx, want) and not self.taken(ctx, want, now):
            return want
        return self.walk(ctx, mine, now)

    def walk(self, ctx: Request, mine: Lease4 | None, now: float) -> IPv4Address | None:
        """allocate.walk with `taken` inlined on ints: the first address of the walk that
        `taken` would let this client have (`mine`: its lease, `LeaseTable.client_lease`).

        Once per pick: the link's bounds (cut out of the walk, with our own address), the
        client's own lease, key and host; per probe only dict lookups by int.  A probe
        mostly meets a lease: with the range half full, dnsmasq's hash walk takes tens of
        probes (its runs of leased addresses grow as the range fills, sooner for
        sequential MACs).  So when no lease has run out, `_skim` walks instead.
        """
        link = ctx.link
        bounds = _BOUNDS.get(id(link))
        if bounds is None or bounds[0] is not link:
            bounds = _bounds(link)
        _, server, low, high = bounds
        table = self.table
        day = int(now)
        if server >= 0 and table.all_live(day) and now >= self._late_until:
            maps = self._maps(ctx)
            if maps is not None:
                return self._skim(ctx, mine, now, bounds, maps)
        nets: tuple[tuple[int, int], ...] | None = None
        if server < 0:  # --shared-network: Link.contains on ints, the link's own net first
            server = int(link.server)
            nets = tuple(
                (int(n.network_address), int(n.broadcast_address))
                for n in (link.network, *link.shared)
            )
            low, high = 0, 1 << 32
        leases = table.leases.ints
        offers = self.offers.ints if self.offers else None
        declined = self.declined.ints if self.declined else None
        reserved = self._reserved.ints if self._reserved else None
        own = int(mine.address) if mine is not None else -1  # its live lease is free to it
        key = ctx.key if offers is not None else b""
        host = ctx.host
        seed = allocate.mac_hash(ctx.req.mac)
        sequential = self.cfg.dhcp_sequential_ip
        for rng in ctx.ranges:
            span = _SPANS.get(id(rng))
            if span is None or span[0] is not rng:
                span = _span(rng)
            _, first, last, dynamic = span
            if not dynamic:
                continue
            top = table.highest_int(first, last) if sequential else None
            start = allocate.start_of(first, last, seed, top, sequential)
            if low <= first and last < high and not first <= server <= last:
                runs: Iterable[range] = (range(start, last + 1), range(first, start))
            else:
                runs = allocate.runs_of(first, last, start, low, high, server)
            for run in runs:
                for a in run:
                    if nets is not None and not allocate.inside(nets, a):
                        continue
                    lease = leases.get(a)
                    if lease is not None and a != own:
                        expires = lease.expires
                        if expires == NEVER or expires > day:  # not Lease4.expired
                            continue
                    if offers is not None:
                        offer = offers.get(a)
                        if offer is not None and offer[1] > now and offer[0] != key:
                            continue
                    if declined is not None and declined.get(a, 0.0) > now:
                        continue
                    if reserved is not None:
                        owner = reserved.get(a)
                        if owner is not None and owner is not host:
                            continue
                    return IPv4Address(a)
        return None

    def _maps(self, ctx: Request) -> list[tuple[int, int, bytearray]] | None:
        """first, last and occupancy map of the client's dynamic ranges (None: one has no map,
        as too wide)."""
        out = []
        for rng in ctx.ranges:
            span = _SPANS.get(id(rng))
            if span is None or span[0] is not rng:
                span = _span(rng)
            if span[3]:
                octets = self.table.marks.span(span[1], span[2])
                if octets is None:
                    return None
                out.append((span[1], span[2], octets))
        return out

    def _skim(
        self,
        ctx: Request,
        mine: Lease4 | None,
        now: float,
        bounds: tuple[Link, int, int, int],
        maps: list[tuple[int, int, bytearray]],
    ) -> IPv4Address | None:
        """`walk` when every lease is live (so every leased address is taken, except the
        client's own) on a link without --shared-network: after purging (the offers in
        order, `_late_until` passed), every offer is live too, and runs of leased or
        offered addresses are skipped at C speed (occupancy.py); only the gaps and the
        client's own lease and offer are probed."""
        if self._due and self._due[0][0] <= now:
            self._purge_offers(now)
        _, server, low, high = bounds
        table = self.table
        leases = table.leases.ints
        key = ctx.key
        own = int(mine.address) if mine is not None else -1
        held = self._held_int(key) if self.offers else -1
        mine_first, mine_next = (own, held) if own <= held else (held, own)
        seed = allocate.mac_hash(ctx.req.mac)
        sequential = self.cfg.dhcp_sequential_ip
        for first, last, octets in maps:
            top = table.highest_int(first, last) if sequential else None
            start = allocate.start_of(first, last, seed, top, sequential)
            runs: Iterable[tuple[int, int]] = ((start, last + 1), (first, start))
            if not (low <= first and last < high and not first <= server <= last):
                runs = (
                    (r.start, r.stop)
                    for r in allocate.runs_of(first, last, start, low, high, server)
                )
            for pos, stop in runs:
                while pos < stop:
                    gap = octets.find(0, pos - first, stop - first)
                    nxt = stop if gap < 0 else first + gap
                    for a in (mine_first, mine_next):  # leased or offered, maybe to this client
                        if (
                            pos <= a < nxt
                            and (a == own or a not in leases)
                            and self._open(a, ctx, now)
                        ):
                            return IPv4Address(a)
                    if nxt == stop:
                        break
                    if self._open(nxt, ctx, now):
                        return IPv4Address(nxt)
                    pos = nxt + 1
        return None

    def _open(self, a: int, ctx: Request, now: float) -> bool:
        """`walk`'s probe without the lease test: not offered to another client, declined
        lately or reserved for another host."""
        offer = self.offers.ints.get(a) if self.offers else None
        if offer is not None and offer[1] > now and offer[0] != ctx.key:
            return False
        if self.declined and self.declined.ints.get(a, 0.0) > now:
            return False
        owner = self._reserved.ints.get(a) if self._reserved else None
        return owner is None or owner is ctx.host

    def _held_int(self, key: bytes) -> int:
        """The address offered to the client `key` as an int (-1: none)."""
        held = self.offer_of.get(key)
        entry = self.offers.ints.get(int(held)) if held is not None else None
        return int(held) if held is not None and entry is not None and entry[0] == key else -1

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
