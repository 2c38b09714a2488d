"""Address choice for a DHCPv4 client: proposes candidates, never checks the store itself.

Order (dnsmasq `address_allocate`, rfc2131.c): a dhcp-host reservation, then the client's
current lease or pending offer, then the requested address (option 50) when it is free,
then a walk over each dynamic range starting at the SDBM hash of the hardware address
modulo the range size (so a client tends to get the same address back), wrapping at the
end; with --dhcp-sequential-ip the walk starts after the highest address leased in the
range instead.  `taken` is the caller's predicate: leased or offered to another client,
declined recently, reserved by a dhcp-host line, or the server's own address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import IPv4Address
from itertools import chain

from lanctl.config.grammar.dhcp_range import Dhcp4Range

__all__ = ["inside", "mac_hash", "runs_of", "start_of", "walk"]


def mac_hash(hwaddr: bytes) -> int:
    """dnsmasq's SDBM hash of the hardware address (32-bit; never 0).

    Each step is j = octet + j * 65599 (mod 2**32), so the hash is a polynomial in 65599:
    an Ethernet address takes one multiply-add per octet with precomputed powers.
    """
    if len(hwaddr) == 6:
        a, b, c, d, e, f = hwaddr
        j = a * _P5 + b * _P4 + c * _P3 + d * _P2 + e * 65599 + f
        return (j & 0xFFFFFFFF) or 1
    j = 0
    for octet in hwaddr:
        j = (octet + (j << 6) + (j << 16) - j) & 0xFFFFFFFF
    return j or 1


_P2, _P3, _P4, _P5 = (65599**k for k in range(2, 6))


def start_of(first: int, last: int, seed: int, top: int | None, sequential: bool) -> int:
    """Where the walk of the range [first, last] starts: `seed` (mac_hash) modulo its size
    up from first; with --dhcp-sequential-ip just after `top`, the highest address leased
    in it (first when there is none, or it is the last).  The walk goes up from there to
    last, then from first."""
    if sequential:
        return first if top is None or top >= last else top + 1
    return first + seed % (1 + last - first)


def walk(
    ranges: Iterable[Dhcp4Range],
    hwaddr: bytes,
    taken: Callable[[IPv4Address], bool],
    *,
    sequential: bool = False,
    highest: Callable[[Dhcp4Range], IPv4Address | None] = lambda _r: None,
) -> IPv4Address | None:
    """The first free address of the first dynamic range that has one, or None.

    The general form (an IPv4Address per probe); choose.py walks the same way on ints.
    """
    seed = mac_hash(hwaddr)
    for rng in ranges:
        if rng.mode != "dynamic":
            continue
        first, last = int(rng.start), int(rng.end)
        top = highest(rng) if sequential else None
        start = start_of(first, last, seed, None if top is None else int(top), sequential)
        for a in chain(range(start, last + 1), range(first, start)):
            addr = IPv4Address(a)
            if not taken(addr):
                return addr
    return None


def runs_of(first: int, last: int, start: int, low: int, high: int, server: int) -> list[range]:
    """The walk of one range, start to last then first to start - 1, as runs of addresses
    in [low, high) without `server`: the probes skip no address for these reasons."""
    out: list[range] = []
    for lo, hi in ((start, last + 1), (first, start)):
        lo, hi = max(lo, low), min(hi, high)
        if lo >= hi:
            continue
        if lo <= server < hi:
            out += (range(lo, server), range(server + 1, hi))
        else:
            out.append(range(lo, hi))
    return out


def inside(nets: tuple[tuple[int, int], ...], a: int) -> bool:
    """Link.contains on ints: (first address, broadcast) of its nets, its own first."""
    for low, broadcast in nets:
        if low <= a <= broadcast:
            return a != broadcast
    return False
