"""One lease per host name, as dnsmasq 2.90 gives names (facts from the wire, not its code).

dnsmasq gives a name to only one lease at a time (names compared in any case).  When a
client is acknowledged with a name another unexpired lease holds, the newer lease takes the
name and the older one is left without (`*` in the lease file, gone from DNS), unless the
holder's name came from a --dhcp-host line found by its MAC or client-id ("configured")
and the newcomer's does not: then the newcomer's lease stays unnamed, although its ACK
still carries the name it asked for.  A renewal of the older client with the name takes
it back by the same rule.  A --dhcp-host found only by the client's name does not count as
configured.  tests/dhcp4/test_lease_names_compat.py compares this with dnsmasq.

`LeaseNames` keeps, per lower-cased name, the address of the lease that holds it and
whether it is configured; an entry is believed only while that lease still has the name,
so drops and renames need no bookkeeping here.  Pure, sans-IO.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from lanctl.dhcp4.leasetable import LeaseTable
from lanctl.store.lease import Lease4

__all__ = ["Claim", "LeaseNames"]


@dataclass(frozen=True, slots=True)
class Claim:
    granted: bool  # whether the new lease gets the name
    loser: Lease4 | None = None  # the lease that held it and now loses it


class LeaseNames:
    """Who holds each lease name (see the module docstring)."""

    def __init__(self, table: LeaseTable) -> None:
        self.table = table
        self.holders: dict[str, tuple[IPv4Address, bool]] = {}
        for lease in table.leases.values():  # leases from the store: names not configured
            if lease.hostname:
                self.holders.setdefault(lease.hostname.lower(), (lease.address, False))

    def holder(self, name: str, now: float) -> tuple[Lease4, bool] | None:
        """The unexpired lease holding `name`, and whether its name is configured."""
        key = name.lower()
        entry = self.holders.get(key)
        if entry is None:
            return None
        lease = self.table.get(entry[0])
        if lease is None or lease.hostname is None or lease.hostname.lower() != key:
            del self.holders[key]
            return None
        if lease.expired(int(now)):
            return None
        return lease, entry[1]

    def claim(
        self,
        name: str,
        addr: IPv4Address,
        configured: bool,
        now: float,
        mine: Lease4 | None = None,
    ) -> Claim:
        """Give `name` to the lease being made at `addr` (the client's old lease: `mine`)."""
        held = self.holder(name, now)
        if held is not None:
            lease, held_configured = held
            if lease.address != addr and lease != mine:
                if held_configured and not configured:
                    return Claim(False)
                self.holders[name.lower()] = (addr, configured)
                return Claim(True, lease)
        self.holders[name.lower()] = (addr, configured)
        return Claim(True)
