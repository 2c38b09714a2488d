"""The lease-store interface every backend implements, and the in-memory backend.

`LeaseBackend` is what the DHCP engines' adapters and `lanctl dhcp leases` use; nothing
outside `lanctl.store` knows which backend runs (ARCHITECTURE §2.5).  The operations are
Kea's lease-manager set: lookup by address, hardware address, client-id and DUID+IAID;
atomic reservation (RELIABILITY P6: no address handed out twice); grouped commits (RFC 2131
§3.1: the lease is stored before DHCPACK); release; expiry at `now` (dnsmasq: expires <= now,
0 = never); iteration; counting per range; the server DUID.  `MemoryBackend` is for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Protocol

from lanctl.store.lease import ETHERNET, Lease, Lease4, Lease6, Lease6Kind, LeaseKey

AnyAddress = IPv4Address | IPv6Address


class LeaseBackend(Protocol):
    """A lease store.  Every write is durable when the call returns."""

    def get4_by_address(self, address: IPv4Address) -> Lease4 | None: ...

    def get4_by_hwaddr(self, hwaddr: bytes, hwtype: int = ETHERNET) -> list[Lease4]: ...

    def get4_by_client_id(self, client_id: bytes) -> list[Lease4]: ...

    def get6(self, duid: bytes, iaid: int, kind: Lease6Kind = "na") -> list[Lease6]: ...

    def get6_by_address(self, address: IPv6Address | IPv6Network) -> Lease6 | None: ...

    def reserve4(self, lease: Lease4, *, now: int) -> bool:
        """Store `lease` unless another client holds its address unexpired at `now`."""
        ...

    def commit(self, changes: Sequence[Lease]) -> None:
        """Insert or replace (by address) every lease in one transaction."""
        ...

    def release(self, address: LeaseKey) -> Lease | None:
        """Delete the lease on `address` (a v6 prefix for IA_PD); return it, or None."""
        ...

    def expire(self, now: int) -> list[Lease]:
        """Delete and return every lease with 0 < expires <= now."""
        ...

    def all4(self) -> list[Lease4]: ...

    def all6(self) -> list[Lease6]: ...

    def count_in_range(self, start: AnyAddress, end: AnyAddress, *, now: int | None = None) -> int:
        """Leases with start <= address <= end (unexpired at `now` when given)."""
        ...

    def get_server_duid(self) -> bytes | None: ...

    def set_server_duid(self, duid: bytes) -> None: ...

    def changed(self) -> bool:
        """True when the store may have changed since the previous call (first call: True)."""
        ...

    def housekeeping(self) -> Callable[[], None] | None:
        """Take periodic maintenance out of commit(): the function that does it, to be called
        now and then from a worker thread while commits go on (None: nothing to do)."""
        ...

    def close(self) -> None: ...


def sort_key(key: LeaseKey) -> tuple[int, int]:
    """Address order for iteration: an IA_PD prefix sorts at its network address."""
    if isinstance(key, IPv6Network):
        return int(key.network_address), key.prefixlen
    return int(key), key.max_prefixlen


def in_range(key: LeaseKey, start: AnyAddress, end: AnyAddress) -> bool:
    """Whether a lease key lies in [start, end] of the same family."""
    addr = key.network_address if isinstance(key, IPv6Network) else key
    return addr.version == start.version and int(start) <= int(addr) <= int(end)


class MemoryBackend:
    """A dict-backed `LeaseBackend`: the reference behaviour for the contract tests."""

    def __init__(self, leases: Iterable[Lease] = ()) -> None:
        self._leases: dict[LeaseKey, Lease] = {lease.address: lease for lease in leases}
        self._duid: bytes | None = None
        self._generation = 1
        self._seen = 0

    def _touch(self) -> None:
        self._generation += 1

    def get4_by_address(self, address: IPv4Address) -> Lease4 | None:
        lease = self._leases.get(address)
        return lease if isinstance(lease, Lease4) else None

    def get4_by_hwaddr(self, hwaddr: bytes, hwtype: int = ETHERNET) -> list[Lease4]:
        return [x for x in self.all4() if (x.hwtype, x.hwaddr) == (hwtype, hwaddr)]

    def get4_by_client_id(self, client_id: bytes) -> list[Lease4]:
        return [x for x in self.all4() if x.client_id == client_id]

    def get6(self, duid: bytes, iaid: int, kind: Lease6Kind = "na") -> list[Lease6]:
        return [x for x in self.all6() if (x.duid, x.iaid, x.kind) == (duid, iaid, kind)]

    def get6_by_address(self, address: IPv6Address | IPv6Network) -> Lease6 | None:
        lease = self._leases.get(address)
        return lease if isinstance(lease, Lease6) else None

    def reserve4(self, lease: Lease4, *, now: int) -> bool:
        held = self.get4_by_address(lease.address)
        if held is not None and not held.expired(now) and not held.same_client(lease):
            return False
        self.commit([lease])
        return True

    def commit(self, changes: Sequence[Lease]) -> None:
        for lease in changes:
            self._leases[lease.address] = lease
        if changes:
            self._touch()

    def release(self, address: LeaseKey) -> Lease | None:
        lease = self._leases.pop(address, None)
        if lease is not None:
            self._touch()
        return lease

    def expire(self, now: int) -> list[Lease]:
        gone = [lease for lease in self._leases.values() if lease.expired(now)]
        for lease in gone:
            del self._leases[lease.address]
        if gone:
            self._touch()
        return sorted(gone, key=lambda x: (x.address.version, sort_key(x.address)))

    def all4(self) -> list[Lease4]:
        found = [x for x in self._leases.values() if isinstance(x, Lease4)]
        return sorted(found, key=lambda x: int(x.address))

    def all6(self) -> list[Lease6]:
        found = [x for x in self._leases.values() if isinstance(x, Lease6)]
        return sorted(found, key=lambda x: sort_key(x.address))

    def count_in_range(self, start: AnyAddress, end: AnyAddress, *, now: int | None = None) -> int:
        return sum(
            1
            for key, lease in self._leases.items()
            if in_range(key, start, end) and (now is None or not lease.expired(now))
        )

    def get_server_duid(self) -> bytes | None:
        return self._duid

    def set_server_duid(self, duid: bytes) -> None:
        self._duid = duid
        self._touch()

    def changed(self) -> bool:
        seen, self._seen = self._seen, self._generation
        return seen != self._generation

    def housekeeping(self) -> Callable[[], None] | None:
        return None

    def close(self) -> None:
        """Nothing to release; kept for the protocol."""
