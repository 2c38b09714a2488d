"""Which interfaces the DHCPv4 server answers on, and when its socket is bound to one device.

dnsmasq 2.90 rules (dhcp.c, checked on the wire in namespaces by tests/dhcp4/
test_selection_e2e.py): a request that reached the wildcard socket on interface IF is
answered when the core rules admit IF (--interface, the interface owning a
--listen-address, --except-interface; lanctl.net.ifselect) and neither
--no-dhcp-interface nor --no-dhcpv4-interface names it.  The loopback interface, which
--interface adds for DNS, gets DHCP only when named outright.  With --bind-interfaces or
--bind-dynamic, when --interface names only existing interfaces without wildcards and
exactly one interface is left for DHCP, the socket gets SO_BINDTODEVICE on it (dnsmasq
whichdevice(): one instance per VLAN).  Pure: the adapter passes names and addresses in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lanctl.config.model import Config
from lanctl.net.ifselect import LOOPBACK, CoreSelection, core_allows, matches

WILDCARDS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class DhcpSelection:
    """The options that decide where DHCPv4 is served."""

    core: CoreSelection
    no_dhcp: tuple[str, ...] = ()  # --no-dhcp-interface and --no-dhcpv4-interface
    bind_interfaces: bool = False  # --bind-interfaces or --bind-dynamic

    @classmethod
    def of(cls, cfg: Config) -> DhcpSelection:
        d = cfg.dhcp4
        return cls(
            CoreSelection.of(cfg.core),
            d.no_dhcp_interface + d.no_dhcpv4_interface,
            cfg.core.bind_interfaces or cfg.core.bind_dynamic,
        )


def serves(sel: DhcpSelection, ifname: str, addresses: Iterable[str]) -> bool:
    """Whether a request that arrived on `ifname` (which has `addresses`) is answered."""
    if ifname == LOOPBACK and not matches(ifname, sel.core.interface):
        return False
    if matches(ifname, sel.no_dhcp):
        return False
    # dnsmasq's iface_check: --listen-address admits the interface that owns the address.
    return core_allows(sel.core, ifname, None) or any(
        core_allows(sel.core, ifname, a) for a in addresses
    )


def bound_device(sel: DhcpSelection, interfaces: Mapping[str, Iterable[str]]) -> str | None:
    """The one interface to SO_BINDTODEVICE the socket to, or None (dnsmasq whichdevice)."""
    names = sel.core.interface
    if not sel.bind_interfaces or not names:
        return None
    if any(WILDCARDS & set(n) or n not in interfaces for n in names):
        return None  # more interfaces may match (or appear) later
    found = {name for name, addrs in interfaces.items() if serves(sel, name, addrs)}
    return found.pop() if len(found) == 1 else None


__all__ = ["DhcpSelection", "bound_device", "serves"]
