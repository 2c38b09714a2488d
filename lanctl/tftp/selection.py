"""Which TFTP requests are served: the interface selection shared with the other services.

Pure decisions (dnsmasq 2.90 behaviour, checked in namespaces by tests/tftp/
test_selection_compat.py).  --enable-tftp=<if,...> names the TFTP interfaces outright.
Otherwise a request is served when --interface (plus loopback) or --listen-address admits
it (by arrival interface, or by the local address it was sent to, which also overrides
--except-interface) and neither --except-interface nor --no-dhcp-interface names the
interface.  With --bind-interfaces the same rules pick the addresses to bind, except that
--enable-tftp=<if> then narrows the addresses the core rules allow instead of replacing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lanctl.config.model import CoreCfg, TftpCfg
from lanctl.net.ifselect import CoreSelection, matches
from lanctl.net.ifselect import core_allows as shared_core_allows


@dataclass(frozen=True, slots=True)
class Selection:
    """The options that decide which interfaces and addresses TFTP serves."""

    enable_tftp_interfaces: tuple[str, ...] = ()
    interface: tuple[str, ...] = ()
    except_interface: tuple[str, ...] = ()
    listen_address: tuple[str, ...] = ()
    no_dhcp_interface: tuple[str, ...] = ()
    bind_interfaces: bool = False

    @classmethod
    def of(cls, tftp: TftpCfg, core: CoreCfg) -> Selection:
        return cls(
            enable_tftp_interfaces=tftp.enable_tftp_interfaces,
            interface=core.interface,
            except_interface=core.except_interface,
            listen_address=core.listen_address,
            no_dhcp_interface=tftp.no_dhcp_interface,
            bind_interfaces=core.bind_interfaces,
        )


def _match(ifname: str, patterns: tuple[str, ...]) -> bool:
    return matches(ifname, patterns)


def core_allows(sel: Selection, ifname: str, local: str | None) -> bool:
    """--interface / --listen-address / --except-interface for (interface, local address)."""
    core = CoreSelection(sel.interface, sel.except_interface, sel.listen_address)
    return shared_core_allows(core, ifname, local)


def tftp_interface(sel: Selection, ifname: str) -> bool:
    """--enable-tftp=<if,...> when given, else not a --no-dhcp-interface."""
    if sel.enable_tftp_interfaces:
        return _match(ifname, sel.enable_tftp_interfaces)
    return not _match(ifname, sel.no_dhcp_interface)


def serve_request(sel: Selection, ifname: str | None, local: str | None) -> bool:
    """A request that reached a wildcard listener on `ifname`, sent to `local`."""
    if ifname is None:
        return False
    if sel.enable_tftp_interfaces:
        return tftp_interface(sel, ifname)
    return core_allows(sel, ifname, local) and tftp_interface(sel, ifname)


def bind_address(sel: Selection, ifname: str, address: str) -> bool:
    """--bind-interfaces: whether to open a TFTP listener on this interface address."""
    return core_allows(sel, ifname, address) and tftp_interface(sel, ifname)


__all__ = ["Selection", "bind_address", "core_allows", "serve_request", "tftp_interface"]
