"""The address choice on ints (choose.py `Chooser.walk`, `taken`, `pick`) against the rule
it replaced, written out here the plain way: every candidate an IPv4Address, tested with
the old predicate (leased to another client and not expired, offered to another client
and not run out, declined lately, reserved for another host, the server's own address,
off the link).  Random tables: leases (expired, never-expiring, the client's own),
offers (run out, the client's own), declines, reservations, 1-3 ranges (static ones,
small ones that wrap and fill up), --shared-network links, --dhcp-sequential-ip.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st

from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.allocate import mac_hash
from lanctl.dhcp4.choose import Chooser
from lanctl.dhcp4.context import Inbound, Link, Request
from lanctl.dhcp4.leasetable import AddrDict, LeaseTable
from lanctl.dhcp4.wire import BOOTREQUEST, Packet
from lanctl.store.lease import Lease4

A = IPv4Address
BASE = int(A("192.0.2.0"))  # the link's own addresses: 192.0.2.0-35 (its net may be smaller)
SHARED = IPv4Network("198.51.100.0/28")  # a --shared-network subnet, when there is one
# ... or one inside the link's own /24: its broadcast address is one there (own net first)
OVERLAP = IPv4Network("192.0.2.16/28")
T0 = 1_700_000_000


@dataclass(frozen=True)
class Client:
    mac: bytes
    client_id: bytes | None

    @property
    def key(self) -> bytes:  # as Request.key
        if self.client_id is not None:
            return b"i" + self.client_id
        return b"h" + bytes((1,)) + self.mac


CLIENTS = [
    Client(bytes((2, 0, 0, 0, 0, n)), None if n % 2 else b"\x01" + bytes((n,))) for n in range(7)
]
OTHER_KEY = b"h\x01\x02\xff\xff\xff\xff\xff"  # a client that holds no lease


# -- the old rule, written out ---------------------------------------------------------


def ref_contains(link: Link, addr: IPv4Address) -> bool:
    for net in (link.network, *link.shared):
        if addr in net:
            return addr != net.broadcast_address
    return False


def ref_client_lease(table: LeaseTable, cid: bytes | None, mac: bytes) -> Lease4 | None:
    """lease_find_by_client by a scan (each test client holds one lease at most)."""
    leases = list(dict.values(table.leases))
    if cid is not None:
        for lease in leases:
            if lease.client_id == cid:
                return lease
    for lease in leases:
        if (lease.hwtype, lease.hwaddr) == (1, mac) and lease.client_id in (None, cid):
            return lease
    return None


def ref_taken(ch: Chooser, ctx: Request, addr: IPv4Address, now: float) -> bool:
    link = ctx.link
    if addr == link.server or not ref_contains(link, addr):
        return True
    lease = dict.get(ch.table.leases, addr)
    if lease is not None and not lease.expired(int(now)):
        mine = ref_client_lease(ch.table, ctx.client_id, ctx.req.mac)
        if mine is None or mine.address != addr:
            return True
    offer = dict.get(ch.offers, addr)
    if offer is not None and offer[1] > now and offer[0] != ctx.key:
        return True
    if dict.get(ch.declined, addr, 0.0) > now:
        return True
    owner = dict.get(ch.reserved, addr)
    return owner is not None and owner is not ctx.host


def ref_walk(ch: Chooser, ctx: Request, now: float, sequential: bool) -> IPv4Address | None:
    seed = mac_hash(ctx.req.mac)
    for rng in ctx.ranges:
        if rng.mode != "dynamic":
            continue
        first, last = int(rng.start), int(rng.end)
        size = 1 + last - first
        if sequential:
            inside = [a for a in dict.keys(ch.table.leases) if rng.start <= a <= rng.end]
            start = first if not inside else int(max(inside)) + 1
            if start > last:
                start = first
        else:
            start = first + seed % size
        for step in range(size):
            addr = A(first + (start - first + step) % size)
            if not ref_taken(ch, ctx, addr, now):
                return addr
    return None


def ref_allowed(ctx: Request, addr: IPv4Address) -> bool:
    if ctx.host is not None and ctx.host.ipv4 == addr:
        return True
    return any(r.mode == "dynamic" and r.start <= addr <= r.end for r in ctx.ranges)


def ref_pick(ch: Chooser, ctx: Request, now: float, sequential: bool) -> IPv4Address | None:
    fixed = ctx.host.ipv4 if ctx.host is not None else None
    if fixed is not None and ref_contains(ctx.link, fixed) and not ref_taken(ch, ctx, fixed, now):
        return fixed
    mine = ref_client_lease(ch.table, ctx.client_id, ctx.req.mac)
    if (
        mine is not None
        and ref_allowed(ctx, mine.address)
        and not ref_taken(ch, ctx, mine.address, now)
    ):
        return mine.address
    held = ch.offer_of.get(ctx.key)
    entry = dict.get(ch.offers, held) if held is not None else None
    fresh = entry is not None and entry[0] == ctx.key and entry[1] > now
    if held is not None and fresh and ref_allowed(ctx, held):
        return held
    if mine is None and len(ch.table.leases) >= ch.cfg.dhcp_lease_max:
        return None
    want = ctx.req.address_option(50)
    if want is not None and ref_allowed(ctx, want) and not ref_taken(ch, ctx, want, now):
        return want
    return ref_walk(ch, ctx, now, sequential)


# -- random tables ---------------------------------------------------------------------

OWN = st.integers(0, 35).map(lambda n: A(BASE + n))
ADDRS = st.one_of(OWN, st.integers(0, 15).map(lambda n: A(int(SHARED.network_address) + n)))
# Seconds from now (now = T0 + 0.5 or T0): past, exactly int(now), just after, far.
LEASE_ENDS = st.sampled_from([None, -100, 0, 1, 1000])  # None: never expires
LIVE_ENDS = st.sampled_from([None, 1, 1000])  # no lease has run out: the walk skims
HOLD_ENDS = st.sampled_from([-1.0, -0.5, 0.0, 0.25, 60.0, 600.0])


@st.composite
def ranges(draw: st.DrawFn, shared: IPv4Network | None) -> tuple[Dhcp4Range, ...]:
    out: list[Dhcp4Range] = []
    for _ in range(draw(st.integers(1, 3))):
        base, top = BASE, 35
        if shared is not None and draw(st.booleans()):
            base, top = int(shared.network_address), 15
        first = draw(st.integers(0, top))
        if draw(st.booleans()):
            out.append(Dhcp4Range(A(base + first), A(base + first), mode="static"))
            continue
        last = min(top, first + draw(st.integers(0, 12)))
        out.append(Dhcp4Range(A(base + first), A(base + last)))
    return tuple(out)


@dataclass
class Case:
    ch: Chooser
    ctx: Request
    now: float
    sequential: bool


@st.composite
def cases(draw: st.DrawFn, live: bool = False) -> Case:
    ends = LIVE_ENDS if live else LEASE_ENDS
    now = T0 + draw(st.sampled_from([0.0, 0.5]))
    shared = draw(st.sampled_from([None, None, SHARED, OVERLAP]))
    # The link's net may hold only part of the ranges (below its first address, or past
    # its broadcast address).
    net = draw(st.sampled_from(["192.0.2.0/24", "192.0.2.0/24", "192.0.2.0/27", "192.0.2.16/28"]))
    network = IPv4Network(net)
    server = draw(OWN)
    rngs = draw(ranges(shared))
    link = Link(server, network, rngs, False, () if shared is None else (shared,))
    sequential = draw(st.booleans())
    me = draw(st.sampled_from(CLIENTS))
    # Mostly addresses of the ranges (what the walk meets), some anywhere.
    pool = sorted({A(a) for r in rngs for a in range(int(r.start), int(r.end) + 1)})
    addrs = st.one_of(st.sampled_from(pool), st.sampled_from(pool), ADDRS)
    table = LeaseTable()
    holders = draw(st.lists(st.sampled_from(CLIENTS), unique=True, max_size=len(CLIENTS)))
    spots = draw(st.lists(addrs, unique=True, min_size=len(holders), max_size=len(holders)))
    for client, addr in zip(holders, spots, strict=True):
        end = draw(ends)
        expires = 0 if end is None else int(now) + end
        table.store(Lease4(addr, client.mac, client_id=client.client_id, expires=expires))
    for addr in draw(st.lists(addrs, unique=True, max_size=30)):  # fill: anonymous clients
        if dict.get(table.leases, addr) is None:
            hw = bytes((2, 1)) + int(addr).to_bytes(4, "big")
            end = draw(ends)
            table.store(Lease4(addr, hw, expires=0 if end is None else int(now) + end))
    lease_max = draw(st.sampled_from([len(table), len(table) + 1, 1_000_000]))
    ch = Chooser(Dhcp4Cfg(dhcp_lease_max=lease_max, dhcp_sequential_ip=sequential), table)
    keys = st.sampled_from([me.key, me.key, OTHER_KEY, *(c.key for c in CLIENTS)])
    held = [
        (draw(HOLD_ENDS), addr, draw(keys))
        for addr in draw(st.lists(addrs, unique=True, max_size=12))
    ]
    if live:  # offers made as time goes on (else some out of order: the clock went back)
        held.sort(key=lambda h: h[0])
    for end, addr, key in held:  # one per client (hold)
        ch.hold(key, addr, now + end)
    for addr in draw(st.lists(addrs, unique=True, max_size=6)):
        ch.declined[addr] = now + draw(HOLD_ENDS)
    # Changes from outside choose.py, as messages.py and engine.py make them.
    for addr in draw(st.lists(addrs, max_size=3)):
        ch.offers.pop(addr, None)
    if draw(st.booleans()):
        ch.declined[draw(addrs)] = now + 1
    spots = draw(st.lists(addrs, max_size=6))
    hosts = [DhcpHost(hostname=f"h{n}", ipv4=a) for n, a in enumerate(spots)]
    reserved: dict[IPv4Address, DhcpHost] = {}
    for addr, line in zip(spots, hosts, strict=True):
        reserved.setdefault(addr, line)
    ch.reserved = reserved
    maybe = st.sampled_from(hosts) if hosts else st.none()
    host = draw(st.one_of(st.none(), maybe, maybe, st.just(DhcpHost(hostname="plain"))))
    want = draw(st.one_of(st.none(), addrs))
    options = {53: b"\x01"} | ({} if want is None else {50: want.packed})
    pkt = Packet(BOOTREQUEST, 1, me.mac + bytes(10), options=options)
    inb = Inbound(b"", ("0.0.0.0", 68), "veth0", ())
    ctx = Request(inb, pkt, link, rngs, host, me.client_id, None, set())
    return Case(ch, ctx, now, sequential)


def candidates(ctx: Request) -> list[IPv4Address]:
    """Every address a range names, and the link's edges and some outside it."""
    out = {A(a) for r in ctx.ranges for a in range(int(r.start), int(r.end) + 1)}
    out |= {A(BASE + n) for n in range(40)} | set(SHARED) | {A("203.0.113.1")}
    return sorted(out)


@settings(max_examples=1500, deadline=None)
@given(cases())
def test_pick_walk_and_taken_give_the_old_answers(case: Case) -> None:
    ch, ctx, now = case.ch, case.ctx, case.now
    for addr in candidates(ctx):
        assert ch.taken(ctx, addr, now) == ref_taken(ch, ctx, addr, now), addr
    mine = ch.table.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
    assert mine == ref_client_lease(ch.table, ctx.client_id, ctx.req.mac)
    assert ch.walk(ctx, mine, now) == ref_walk(ch, ctx, now, case.sequential)
    assert ch.pick(ctx, now) == ref_pick(ch, ctx, now, case.sequential)


@settings(max_examples=1500, deadline=None)
@given(cases(live=True))
def test_the_walk_that_skims_leased_runs_gives_the_old_answers(case: Case) -> None:
    """No lease has run out: leased and offered runs are skipped (occupancy.py)."""
    ch, ctx, now = case.ch, case.ctx, case.now
    assert ch.table.all_live(int(now)) and now >= ch._late_until  # so walk skims
    mine = ch.table.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
    assert ch.walk(ctx, mine, now) == ref_walk(ch, ctx, now, case.sequential)
    assert ch.pick(ctx, now) == ref_pick(ch, ctx, now, case.sequential)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=60))
def test_the_occupancy_map_follows_every_store_and_drop(steps: list[tuple[bool, int]]) -> None:
    table = LeaseTable()
    early = table.marks.span(BASE + 5, BASE + 30)  # made before the leases, kept in step
    for put, n in steps:
        lease = Lease4(A(BASE + n), bytes((2, 0, 0, 0, 1, n)), expires=T0 + n)
        if put:
            table.store(lease)
        else:
            table.drop(lease)
        assert early is not None
        held = {a - BASE - 5 for a in table.leases.ints if BASE + 5 <= a <= BASE + 30}
        assert {i for i, x in enumerate(early) if x} == held
    late = table.marks.span(BASE, BASE + 40)  # made from the leases already there
    assert late is not None
    assert {i for i, x in enumerate(late) if x} == {a - BASE for a in table.leases.ints}
    top = table.highest_int(BASE + 5, BASE + 30)
    inside = [a for a in table.leases.ints if BASE + 5 <= a <= BASE + 30]
    assert top == (max(inside) if inside else None)


OPS = st.tuples(
    st.sampled_from(["hold", "pop", "withdraw", "decline", "purge"]), st.integers(0, 40)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=60), st.lists(st.integers(0, 40), max_size=20))
def test_the_offered_marks_follow_every_offer_change(
    ops: list[tuple[str, int]], leased: list[int]
) -> None:
    table = LeaseTable()
    for n in leased:
        table.store(Lease4(A(BASE + n), bytes((2, 0, 0, 0, 1, n)), expires=T0 + 100))
    ch = Chooser(Dhcp4Cfg(), table)
    octets = table.marks.span(BASE, BASE + 40)
    assert octets is not None
    clients = [Request(Inbound(b"", ("0.0.0.0", 68), "veth0", ()),
                       Packet(BOOTREQUEST, 1, c.mac + bytes(10)), None, (), None,  # type: ignore[arg-type]
                       c.client_id, None, set()) for c in CLIENTS]  # fmt: skip
    now = float(T0)
    for op, n in ops:
        addr, client = A(BASE + n), clients[n % len(clients)]
        if op == "hold":
            ch.hold(client.key, addr, now + n % 7)
        elif op == "pop":
            ch.offers.pop(addr, None)
        elif op == "withdraw":
            ch.withdraw(client)
        elif op == "decline":
            ch.decline(addr, now)
        else:
            now += n % 5
            ch.purge(now)
        offered = {a - BASE for a in ch.offers.ints}
        assert {i for i, x in enumerate(octets) if x & 2} == offered
        assert {i for i, x in enumerate(octets) if x & 1} == {a - BASE for a in table.leases.ints}
        keys = [entry[0] for entry in ch.offers.values()]
        assert len(keys) == len(set(keys))  # one offer per client


def test_a_full_range_wraps_to_its_last_free_address_then_to_the_next_range() -> None:
    """Hand-made: the hash start is taken up to the end; the walk wraps, then moves on."""
    small = Dhcp4Range(A("192.0.2.10"), A("192.0.2.13"))
    more = Dhcp4Range(A("192.0.2.40"), A("192.0.2.41"))
    link = Link(A("192.0.2.1"), IPv4Network("192.0.2.0/24"), (small, more), False)
    me = CLIENTS[1]
    table = LeaseTable()
    ch = Chooser(Dhcp4Cfg(), table)
    pkt = Packet(BOOTREQUEST, 1, me.mac + bytes(10), options={53: b"\x01"})
    ctx = Request(
        Inbound(b"", ("0.0.0.0", 68), "veth0", ()),
        pkt,
        link,
        (small, more),
        None,
        None,
        None,
        set(),
    )
    one, two = mac_hash(me.mac) % 4, mac_hash(me.mac) % 2  # where each walk starts
    order = [A(f"192.0.2.{10 + (one + k) % 4}") for k in range(4)]
    order += [A(f"192.0.2.{40 + (two + k) % 2}") for k in range(2)]
    got = []
    for n in range(6):
        addr = ch.pick(ctx, T0)
        assert addr is not None
        got.append(addr)
        table.store(Lease4(addr, bytes((2, 9, 9, 9, 9, n)), expires=T0 + 10))
    assert got == order
    assert ch.pick(ctx, T0) is None
    assert ch.pick(ctx, T0 + 10) == order[0]  # all expired: the hash start again


# -- AddrDict keeps its int index in step --------------------------------------------


def index_ok(d: AddrDict[int]) -> bool:
    return d.ints == {int(k): v for k, v in dict.items(d)}


def test_addr_dict_keeps_its_int_index_through_every_change() -> None:
    a, b, c = A("192.0.2.1"), A("192.0.2.2"), A("192.0.2.3")
    d: AddrDict[int] = AddrDict({a: 1, b: 2})
    assert index_ok(d) and d.ints == {int(a): 1, int(b): 2}
    d[c] = 3
    del d[a]
    assert index_ok(d) and set(d) == {b, c}
    assert d.pop(b) == 2 and d.pop(b, None) is None and index_ok(d)
    try:
        d.pop(b)
    except KeyError:
        pass
    else:
        raise AssertionError("pop of a missing key without a default")
    assert d.setdefault(c, 9) == 3 and d.setdefault(a, 7) == 7 and index_ok(d)
    d.update({b: 5})
    d.update([(a, 6)])
    d |= {c: 8}
    assert dict(d) == {a: 6, b: 5, c: 8} and index_ok(d)
    key, _ = d.popitem()
    assert key not in d and int(key) not in d.ints and index_ok(d)
    d.clear()
    assert d == {} and d.ints == {}
    made = AddrDict.fromkeys([a, b], 0)
    assert isinstance(made, AddrDict) and made.ints == {int(a): 0, int(b): 0}


def test_the_reserved_table_set_by_the_engine_is_indexed() -> None:
    ch = Chooser(Dhcp4Cfg(), LeaseTable())
    host = DhcpHost(hostname="x", ipv4=A("192.0.2.9"))
    ch.reserved = {A("192.0.2.9"): host}
    assert ch.reserved == {A("192.0.2.9"): host}
    assert ch._reserved.ints == {int(A("192.0.2.9")): host}


def test_an_offer_run_out_behind_a_later_one_is_free_when_the_clock_went_back() -> None:
    """Offers made after the clock went back sit behind later expiries: purging (which reads
    the head) cannot find a run-out one there, so the walk probes until the clock passes."""
    small = Dhcp4Range(A("192.0.2.10"), A("192.0.2.13"))
    link = Link(A("192.0.2.1"), IPv4Network("192.0.2.0/24"), (small,), False)
    me = CLIENTS[1]
    ch = Chooser(Dhcp4Cfg(), LeaseTable())
    pkt = Packet(BOOTREQUEST, 1, me.mac + bytes(10), options={53: b"\x01"})
    inb = Inbound(b"", ("0.0.0.0", 68), "veth0", ())
    ctx = Request(inb, pkt, link, (small,), None, None, None, set())
    first = A(f"192.0.2.{10 + mac_hash(me.mac) % 4}")  # where this client's walk starts
    other = A("192.0.2.10") if first != A("192.0.2.10") else A("192.0.2.11")
    ch.hold(CLIENTS[2].key, other, T0 + 100)
    ch.hold(CLIENTS[3].key, first, T0 - 1)  # made after, running out before: clock went back
    assert ch.walk(ctx, None, T0) == first == ref_walk(ch, ctx, T0, False)
    ch.purge(T0 + 100)  # the clock passed every expiry there was: in order again
    assert ch.walk(ctx, None, T0 + 100) == first
