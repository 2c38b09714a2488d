"""dnsmasq's interface selection: --interface, --except-interface, --listen-address.

The rules every service shares (dnsmasq 2.90 man page, and checked in namespaces for DNS
and TFTP): with --interface and/or --listen-address, a packet is served when it arrived on
a named interface (the loopback interface is added whenever --interface is given) or was
sent to a listed address; without either, on any interface.  --except-interface always
removes an interface, except for packets sent to a --listen-address.  Names may end in `*`
(dnsmasq) or use other shell patterns.  With --bind-interfaces the same rules decide which
interface addresses get a socket.  Pure: the adapters pass names and addresses in.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass
from typing import Final

from lanctl.config.model import CoreCfg

LOOPBACK: Final = "lo"


@dataclass(frozen=True, slots=True)
class CoreSelection:
    """The interface options of the core (shared by DNS, DHCP and TFTP)."""

    interface: tuple[str, ...] = ()
    except_interface: tuple[str, ...] = ()
    listen_address: tuple[str, ...] = ()

    @classmethod
    def of(cls, core: CoreCfg) -> CoreSelection:
        return cls(core.interface, core.except_interface, core.listen_address)

    @property
    def filters(self) -> bool:
        """Whether any packet can be refused (else every interface is served)."""
        return bool(self.interface or self.except_interface or self.listen_address)


def matches(ifname: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(ifname, p) for p in patterns)


def same_address(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a.split("%")[0]) == ipaddress.ip_address(b.split("%")[0])
    except ValueError:
        return False


def core_allows(sel: CoreSelection, ifname: str | None, local: str | None) -> bool:
    """Whether a packet that arrived on `ifname`, sent to `local`, is served."""
    by_address = local is not None and any(same_address(local, a) for a in sel.listen_address)
    if by_address:
        return True
    if ifname is None:
        return not sel.filters
    named = matches(ifname, sel.interface) or (bool(sel.interface) and ifname == LOOPBACK)
    if (sel.interface or sel.listen_address) and not named:
        return False
    return not matches(ifname, sel.except_interface)


__all__ = ["LOOPBACK", "CoreSelection", "core_allows", "matches", "same_address"]
