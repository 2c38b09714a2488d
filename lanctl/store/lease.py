"""Lease values shared by the DHCP engines, the lease store and the lease file.

`Lease4` is a DHCPv4 lease (RFC 2131) keyed by address; `Lease6` a DHCPv6 lease (RFC 8415)
of kind IA_NA, IA_TA or IA_PD (a delegated prefix).  `expires` is in epoch seconds and 0
means infinite, as dnsmasq writes it in its lease file (`--dhcp-leasefile`).  Hardware type
1 is Ethernet (ARPHRD_ETHER), the only type dnsmasq writes without a "hh-" prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Literal

ETHERNET = 1
INFINITE = 0
_MAX_IAID = 0xFFFFFFFF

Lease6Kind = Literal["na", "ta", "pd"]
LEASE6_KINDS: tuple[Lease6Kind, ...] = ("na", "ta", "pd")


@dataclass(frozen=True, slots=True)
class Lease4:
    """A DHCPv4 lease: one address bound to one client (hardware address or client-id)."""

    address: IPv4Address
    hwaddr: bytes
    hwtype: int = ETHERNET
    client_id: bytes | None = None
    hostname: str | None = None
    expires: int = INFINITE
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.hwtype <= 0xFF:
            raise ValueError(f"hardware type {self.hwtype} is not 0..255")
        if len(self.hwaddr) > 16:
            raise ValueError(f"hardware address of {len(self.hwaddr)} octets (16 at most)")
        if self.expires < 0:
            raise ValueError(f"negative expiry {self.expires}")
        if self.client_id == b"":
            raise ValueError("an empty client-id: use None")
        check_hostname(self.hostname)

    def expired(self, now: int) -> bool:
        """True when the lease has run out at `now` (dnsmasq: expires <= now, never if 0)."""
        return self.expires != INFINITE and self.expires <= now

    def same_client(self, other: Lease4) -> bool:
        """Whether `other` is the same client, by dnsmasq's rule (`lease_find_by_client`).

        Two client-ids are compared when both leases have one; otherwise a non-empty
        hardware address of the same type identifies the client.
        """
        if self.client_id is not None and other.client_id is not None:
            return self.client_id == other.client_id
        same_hw = (self.hwtype, self.hwaddr) == (other.hwtype, other.hwaddr)
        return same_hw and bool(self.hwaddr)


@dataclass(frozen=True, slots=True)
class Lease6:
    """A DHCPv6 lease: an address (IA_NA, IA_TA) or a delegated prefix (IA_PD)."""

    address: IPv6Address | IPv6Network
    duid: bytes
    iaid: int
    kind: Lease6Kind = "na"
    hostname: str | None = None
    expires: int = INFINITE

    def __post_init__(self) -> None:
        if self.kind not in LEASE6_KINDS:
            raise ValueError(f"lease kind {self.kind!r} is not na, ta or pd")
        if (self.kind == "pd") != isinstance(self.address, IPv6Network):
            raise ValueError("a prefix (IPv6Network) goes with kind pd, and only with it")
        if not 0 <= self.iaid <= _MAX_IAID:
            raise ValueError(f"IAID {self.iaid} is not a 32-bit number")
        if self.expires < 0:
            raise ValueError(f"negative expiry {self.expires}")
        check_hostname(self.hostname)

    def expired(self, now: int) -> bool:
        """True when the lease has run out at `now` (expires <= now, never if 0)."""
        return self.expires != INFINITE and self.expires <= now


def check_hostname(name: str | None) -> None:
    """Refuse names that cannot be one field of a lease-file line ("*" means no name)."""
    if name is None:
        return
    if not name or name == "*" or not name.isprintable() or any(c.isspace() for c in name):
        raise ValueError(f"host name {name!r} cannot be stored in a lease file")


Lease = Lease4 | Lease6
LeaseKey = IPv4Address | IPv6Address | IPv6Network


def lease_key(lease: Lease) -> LeaseKey:
    """The primary key of a lease in every backend: its address or delegated prefix."""
    return lease.address
