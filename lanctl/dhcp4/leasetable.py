"""The DHCPv4 engine's lease table: leases by address, client-id and hardware address.

Bookkeeping only (no policy): `store` replaces any lease on the same address (an expired
lease taken over by another client), `drop` forgets one, `client_lease` is dnsmasq's
`lease_find_by_client` (by client-id, then by hardware address when the lease has no
conflicting client-id), and `expired` pops the leases whose deadline has passed (a heap
of (expiry, address); stale entries of renewed leases are skipped).  Pure, sans-IO.

`AddrDict` is a dict keyed by IPv4Address that keeps the same entries keyed by the
address as an int (`ints`): the address walk (choose.py) probes by int, as an
IPv4Address costs a pure-Python constructor, hash (a hex string) and comparison.

`marks` (occupancy.py) holds which addresses of each range are leased (and, set by
choose.py, offered), kept in step by `store`, `drop` and every AddrDict change.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address
from typing import TypeVar, overload

from lanctl.dhcp4.occupancy import LEASED, Occupancy, highest_marked
from lanctl.store.lease import Lease4

__all__ = ["AddrDict", "LeaseTable"]

V = TypeVar("V")
T = TypeVar("T")

_MISSING: object = object()


class AddrDict(dict[IPv4Address, V]):
    """A dict by IPv4Address whose `ints` holds the same entries by int(address).

    Every way of changing the dict keeps `ints` in step, and the `marked_in` Occupancy
    bit; `ints` itself is read-only by convention.  Reads are the plain dict's (C speed).
    """

    __slots__ = ("ints", "marks")

    def __init__(
        self, items: Mapping[IPv4Address, V] | Iterable[tuple[IPv4Address, V]] = ()
    ) -> None:
        super().__init__(items)
        self.ints: dict[int, V] = {int(k): v for k, v in self.items()}
        self.marks: tuple[Occupancy, int] | None = None

    def marked_in(self, occupancy: Occupancy, bit: int) -> None:
        """Keep `bit` of `occupancy` set for the addresses this dict holds."""
        self.marks = (occupancy, bit)
        occupancy.track(self.ints, bit)

    def __setitem__(self, key: IPv4Address, value: V, /) -> None:
        dict.__setitem__(self, key, value)
        a = int(key)
        self.ints[a] = value
        if self.marks is not None:
            self.marks[0].mark(a, self.marks[1])

    def __delitem__(self, key: IPv4Address, /) -> None:
        dict.__delitem__(self, key)
        self._forget(int(key))

    def _forget(self, a: int) -> None:
        del self.ints[a]
        if self.marks is not None:
            self.marks[0].unmark(a, self.marks[1])

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
        self._forget(int(key))
        return value

    def popitem(self) -> tuple[IPv4Address, V]:
        key, value = dict.popitem(self)
        self._forget(int(key))
        return key, value

    def clear(self) -> None:
        for a in list(self.ints):
            self._forget(a)
        dict.clear(self)

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
        self.marks = Occupancy()  # LEASED here, OFFERED by choose.py
        self.marks.track(self.leases.ints, LEASED)  # (store and drop mark, not AddrDict)

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
        self.marks.mark(a, LEASED)

    def drop(self, lease: Lease4) -> None:
        a = int(lease.address)
        if dict.pop(self.leases, lease.address, None) is not None:  # leases.pop, int known
            del self.leases.ints[a]
            self.marks.unmark(a, LEASED)
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
        octets = self.marks.span(start, end)
        if octets is not None:
            top = highest_marked(octets, LEASED)
            return None if top < 0 else start + top
        return max((a for a in self.leases.ints if start <= a <= end), default=None)
