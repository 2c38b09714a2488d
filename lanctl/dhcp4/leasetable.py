"""The DHCPv4 engine's lease table: leases by address, client-id and hardware address.

Bookkeeping only (no policy): `store` replaces any lease on the same address (an expired
lease taken over by another client), `drop` forgets one, `client_lease` is dnsmasq's
`lease_find_by_client` (by client-id, then by hardware address when the lease has no
conflicting client-id), and `expired` pops the leases whose deadline has passed (a heap
of (expiry, address); stale entries of renewed leases are skipped).  Pure, sans-IO.
"""

from __future__ import annotations

import heapq
from ipaddress import IPv4Address

from lanctl.store.lease import Lease4

__all__ = ["LeaseTable"]


class LeaseTable:
    """The leases of this process, indexed for the engine's lookups."""

    def __init__(self) -> None:
        self.leases: dict[IPv4Address, Lease4] = {}
        self.by_cid: dict[bytes, IPv4Address] = {}
        self.by_hw: dict[tuple[int, bytes], IPv4Address] = {}
        # (expiry, address as int, address): ties between leases that end in the same second
        # compare ints, not IPv4Address objects (slow, pure Python); the order stays the same.
        self._deadlines: list[tuple[int, int, IPv4Address]] = []

    def __len__(self) -> int:
        return len(self.leases)

    def get(self, addr: IPv4Address) -> Lease4 | None:
        return self.leases.get(addr)

    def store(self, lease: Lease4) -> None:
        old = self.leases.get(lease.address)
        if old is not None:
            self.drop(old)  # an expired lease taken over by another client
        self.leases[lease.address] = lease
        if lease.client_id is not None:
            self.by_cid[lease.client_id] = lease.address
        self.by_hw[(lease.hwtype, lease.hwaddr)] = lease.address
        if lease.expires:
            entry = (lease.expires, int(lease.address), lease.address)
            heapq.heappush(self._deadlines, entry)

    def drop(self, lease: Lease4) -> None:
        self.leases.pop(lease.address, None)
        if lease.client_id is not None and self.by_cid.get(lease.client_id) == lease.address:
            del self.by_cid[lease.client_id]
        hw = (lease.hwtype, lease.hwaddr)
        if self.by_hw.get(hw) == lease.address:
            del self.by_hw[hw]

    def client_lease(self, client_id: bytes | None, htype: int, mac: bytes) -> Lease4 | None:
        """dnsmasq `lease_find_by_client`: by client-id, then by hardware address."""
        if client_id is not None:
            addr = self.by_cid.get(client_id)
            lease = self.leases.get(addr) if addr is not None else None
            if lease is not None and lease.client_id == client_id:
                return lease
        addr = self.by_hw.get((htype, mac))
        lease = self.leases.get(addr) if addr is not None else None
        if lease is None or (lease.hwtype, lease.hwaddr) != (htype, mac):
            return None
        if client_id is None or lease.client_id in (None, client_id):
            return lease
        return None

    def next_deadline(self) -> float | None:
        """When the next lease runs out (None: no lease expires)."""
        return float(self._deadlines[0][0]) if self._deadlines else None

    def expired(self, now: float) -> list[Lease4]:
        """Remove and return the leases whose time has come."""
        out: list[Lease4] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            expires, _, addr = heapq.heappop(self._deadlines)
            lease = self.leases.get(addr)
            if lease is not None and lease.expires == expires:
                self.drop(lease)
                out.append(lease)
        return out

    def highest(self, start: IPv4Address, end: IPv4Address) -> IPv4Address | None:
        """The highest leased address in [start, end] (--dhcp-sequential-ip)."""
        inside = [a for a in self.leases if start <= a <= end]
        return max(inside) if inside else None
