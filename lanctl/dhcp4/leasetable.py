"""The DHCPv4 engine's lease table: leases by address, client-id and hardware address.

Bookkeeping only (no policy): `store` replaces any lease on the same address (an expired
lease taken over by another client), `drop` forgets one, `client_lease` is dnsmasq's
`lease_find_by_client` (by client-id, then by hardware address when the lease has no
conflicting client-id), and `expired` pops the leases whose deadline has passed (a heap
of (expiry, address); stale entries of renewed leases are skipped).  Pure, sans-IO.

`AddrDict` is a dict keyed by IPv4Address that keeps the same entries keyed by the
address as an int (`ints`): the address walk (choose.py) probes by int, as an
IPv4Address costs a pure-Python constructor, hash (a hex string) and comparison.

`occupancy(first, last)` is a map of the leased addresses of one span (a range), one
octet per address (1: leased), made at first use and kept in step by `store` and `drop`:
the walk finds the next unleased address with bytearray.find (memchr) instead of probing
each leased one in Python.  dnsmasq's hash walk meets long runs of leased addresses once a
range fills, sooner for sequential hardware addresses (hash starts cluster).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address
from typing import TypeVar, overload

from lanctl.store.lease import Lease4

__all__ = ["OCCUPANCY_MAX", "AddrDict", "LeaseTable"]

OCCUPANCY_MAX = 1 << 22  # addresses: larger spans get no occupancy map (4 MiB each)

V = TypeVar("V")
T = TypeVar("T")

_MISSING: object = object()


class AddrDict(dict[IPv4Address, V]):
    """A dict by IPv4Address whose `ints` holds the same entries by int(address).

    Every way of changing the dict keeps `ints` in step; `ints` itself is read-only by
    convention.  Reads are the plain dict's (C speed).
    """

    __slots__ = ("ints",)

    def __init__(
        self, items: Mapping[IPv4Address, V] | Iterable[tuple[IPv4Address, V]] = ()
    ) -> None:
        super().__init__(items)
        self.ints: dict[int, V] = {int(k): v for k, v in self.items()}

    def __setitem__(self, key: IPv4Address, value: V, /) -> None:
        dict.__setitem__(self, key, value)
        self.ints[int(key)] = value

    def __delitem__(self, key: IPv4Address, /) -> None:
        dict.__delitem__(self, key)
        del self.ints[int(key)]

    @overload
    def pop(self, key: IPv4Address, /) -> V: ...
    @overload
    def pop(self, key: IPv4Address, default: V, /) -> V: ...
    @overload
    def pop(self, key: IPv4Address, default: T, /) -> V | T: ...
    def pop(self, key: IPv4Address, default: object = _MISSING, /) -> object:
        value = dict.pop(self, key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        del self.ints[int(key)]
        return value

    def popitem(self) -> tuple[IPv4Address, V]:
        key, value = dict.popitem(self)
        del self.ints[int(key)]
        return key, value

    def clear(self) -> None:
        dict.clear(self)
        self.ints.clear()

    def setdefault(self, key: IPv4Address, default: V, /) -> V:
        if key in self:
            return self[key]
        self[key] = default
        return default

    def update(  # type: ignore[override]
        self, items: Mapping[IPv4Address, V] | Iterable[tuple[IPv4Address, V]] = (), /
    ) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            self[key] = value

    def __ior__(  # type: ignore[override,misc]
        self, items: Mapping[IPv4Address, V] | Iterable[tuple[IPv4Address, V]], /
    ) -> AddrDict[V]:
        self.update(items)
        return self


class LeaseTable:
    """The leases of this process, indexed for the engine's lookups."""

    def __init__(self) -> None:
        self.leases: AddrDict[Lease4] = AddrDict()
        # Client-id and hardware address -> the address as an int (the key of leases.ints).
        self.by_cid: dict[bytes, int] = {}
        self.by_hw: dict[tuple[int, bytes], int] = {}
        # (expiry, address as int): ties between leases that end in the same second
        # compare ints, not IPv4Address objects (slow, pure Python).
        self._deadlines: list[tuple[int, int]] = []
        self._maps: tuple[tuple[int, int, bytearray], ...] = ()  # first, last, octets

    def __len__(self) -> int:
        return len(self.leases)

    def get(self, addr: IPv4Address) -> Lease4 | None:
        return self.leases.ints.get(int(addr))

    def store(self, lease: Lease4) -> None:
        a = int(lease.address)
        leases = self.leases
        old = leases.ints.get(a)
        if old is not None:
            self.drop(old)  # an expired lease taken over by another client
        dict.__setitem__(leases, lease.address, lease)  # leases[...] = lease, int known
        leases.ints[a] = lease
        if lease.client_id is not None:
            self.by_cid[lease.client_id] = a
        self.by_hw[(lease.hwtype, lease.hwaddr)] = a
        if lease.expires:
            heapq.heappush(self._deadlines, (lease.expires, a))
        for first, last, octets in self._maps:
            if first <= a <= last:
                octets[a - first] = 1

    def drop(self, lease: Lease4) -> None:
        a = int(lease.address)
        if dict.pop(self.leases, lease.address, None) is not None:  # leases.pop, int known
            del self.leases.ints[a]
            for first, last, octets in self._maps:
                if first <= a <= last:
                    octets[a - first] = 0
        if lease.client_id is not None and self.by_cid.get(lease.client_id) == a:
            del self.by_cid[lease.client_id]
        hw = (lease.hwtype, lease.hwaddr)
        if self.by_hw.get(hw) == a:
            del self.by_hw[hw]

    def client_lease(self, client_id: bytes | None, htype: int, mac: bytes) -> Lease4 | None:
        """dnsmasq `lease_find_by_client`: by client-id, then by hardware address."""
        ints = self.leases.ints
        if client_id is not None:
            a = self.by_cid.get(client_id)
            lease = ints.get(a) if a is not None else None
            if lease is not None and lease.client_id == client_id:
                return lease
        a = self.by_hw.get((htype, mac))
        lease = ints.get(a) if a is not None else None
        if lease is None or lease.hwtype != htype or lease.hwaddr != mac:
            return None
        if client_id is None or lease.client_id in (None, client_id):
            return lease
        return None

    def occupancy(self, first: int, last: int) -> bytearray | None:
        """The leased addresses of [first, last] as octets (1: leased), kept current by
        store and drop; None for a span wider than OCCUPANCY_MAX."""
        for low, high, octets in self._maps:
            if low == first and high == last:
                return octets
        if last - first >= OCCUPANCY_MAX or len(self._maps) >= 64:
            return None
        octets = bytearray(last - first + 1)
        for a in self.leases.ints:
            if first <= a <= last:
                octets[a - first] = 1
        self._maps = (*self._maps, (first, last, octets))
        return octets

    def all_live(self, day: int) -> bool:
        """Whether no lease has run out by `day` (int seconds): the deadlines' heap keeps
        stale entries of renewed leases too, so its head is a lower bound."""
        return not self._deadlines or self._deadlines[0][0] > day

    def next_deadline(self) -> float | None:
        """When the next lease runs out (None: no lease expires)."""
        return float(self._deadlines[0][0]) if self._deadlines else None

    def expired(self, now: float) -> list[Lease4]:
        """Remove and return the leases whose time has come."""
        out: list[Lease4] = []
        ints = self.leases.ints
        while self._deadlines and self._deadlines[0][0] <= now:
            expires, a = heapq.heappop(self._deadlines)
            lease = ints.get(a)
            if lease is not None and lease.expires == expires:
                self.drop(lease)
                out.append(lease)
        return out

    def highest(self, start: IPv4Address, end: IPv4Address) -> IPv4Address | None:
        """The highest leased address in [start, end] (--dhcp-sequential-ip)."""
        top = self.highest_int(int(start), int(end))
        return None if top is None else IPv4Address(top)

    def highest_int(self, start: int, end: int) -> int | None:
        """`highest` on ints."""
        octets = self.occupancy(start, end) if start <= end else None
        if octets is not None:
            top = octets.rfind(1)
            return None if top < 0 else start + top
        return max((a for a in self.leases.ints if start <= a <= end), default=None)
