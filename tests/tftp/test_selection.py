"""The TFTP interface selection as a table (dnsmasq 2.90 behaviour, see test_selection_compat)."""

from __future__ import annotations

import pytest

from lanctl.config import load
from lanctl.config.model import CoreCfg, TftpCfg
from lanctl.net.interfaces import IfAddr
from lanctl.tftp.selection import Selection, bind_address, serve_request
from lanctl.tftp.sockets import bound_addresses

A, B = "192.0.2.1", "198.51.100.1"

# (selection, interface, local address, served by a wildcard listener?)
WILDCARD: list[tuple[Selection, str | None, str | None, bool]] = [
    (Selection(), "ethA", A, True),
    (Selection(), "ethB", B, True),
    (Selection(), None, A, False),  # interface unknown: never served
    (Selection(interface=("ethA",)), "ethA", A, True),
    (Selection(interface=("ethA",)), "ethB", B, False),
    (Selection(interface=("eth*",)), "ethB", B, True),
    (Selection(interface=("ethA",)), "lo", "127.0.0.1", True),  # --interface adds loopback
    (Selection(listen_address=(A,)), "lo", "127.0.0.1", False),  # --listen-address does not
    (Selection(enable_tftp_interfaces=("ethA",)), "lo", "127.0.0.1", False),
    (Selection(except_interface=("ethB",)), "ethA", A, True),
    (Selection(except_interface=("ethB",)), "ethB", B, False),
    (Selection(listen_address=(A,)), "ethA", A, True),
    (Selection(listen_address=(A,)), "ethB", B, False),
    (Selection(listen_address=(A,)), "ethB", A, True),  # by address: sent to A via B
    (Selection(listen_address=(A,), except_interface=("ethA",)), "ethA", A, True),
    (Selection(listen_address=(A,), interface=("ethB",)), "ethB", B, True),
    (Selection(listen_address=("2001:db8::1",)), "ethA", "2001:db8:0::1", True),
    (Selection(no_dhcp_interface=("ethB",)), "ethA", A, True),
    (Selection(no_dhcp_interface=("ethB",)), "ethB", B, False),
    (Selection(enable_tftp_interfaces=("ethA",)), "ethA", A, True),
    (Selection(enable_tftp_interfaces=("ethA",)), "ethB", B, False),
    # --enable-tftp=<if> replaces the core selection and --no-dhcp-interface
    (Selection(enable_tftp_interfaces=("ethB",), interface=("ethA",)), "ethB", B, True),
    (Selection(enable_tftp_interfaces=("ethB",), interface=("ethA",)), "ethA", A, False),
    (Selection(enable_tftp_interfaces=("ethB",), no_dhcp_interface=("ethB",)), "ethB", B, True),
    (Selection(enable_tftp_interfaces=("ethB",), except_interface=("ethB",)), "ethB", B, True),
]


@pytest.mark.parametrize(("sel", "ifname", "local", "served"), WILDCARD)
def test_wildcard_listener_table(
    sel: Selection, ifname: str | None, local: str | None, served: bool
) -> None:
    assert serve_request(sel, ifname, local) is served


# (selection, interface, address, bound with --bind-interfaces?)
BOUND: list[tuple[Selection, str, str, bool]] = [
    (Selection(), "ethA", A, True),
    (Selection(interface=("ethA",)), "ethB", B, False),
    (Selection(interface=("ethA",)), "lo", "::1", True),
    (Selection(listen_address=(A,)), "ethA", A, True),
    (Selection(listen_address=(A,)), "lo", "127.0.0.1", False),
    (Selection(listen_address=(A,)), "ethA", "192.0.2.9", False),  # another address of A
    (Selection(except_interface=("ethB",)), "ethB", B, False),
    (Selection(no_dhcp_interface=("ethB",)), "ethB", B, False),
    # with bind-interfaces, --enable-tftp=<if> narrows the core selection
    (Selection(enable_tftp_interfaces=("ethB",), interface=("ethA",)), "ethB", B, False),
    (Selection(enable_tftp_interfaces=("ethB",), interface=("ethA",)), "ethA", A, False),
    (Selection(enable_tftp_interfaces=("ethB",), no_dhcp_interface=("ethB",)), "ethB", B, True),
]


@pytest.mark.parametrize(("sel", "ifname", "address", "bound"), BOUND)
def test_bind_interfaces_table(sel: Selection, ifname: str, address: str, bound: bool) -> None:
    assert bind_address(sel, ifname, address) is bound


def test_bound_addresses_filters_the_interface_list() -> None:
    addrs = [IfAddr("lo", "127.0.0.1", 1), IfAddr("ethA", A, 2), IfAddr("ethB", B, 3)]
    sel = Selection(interface=("ethA",), bind_interfaces=True)
    assert bound_addresses(sel, addrs) == addrs[:2]  # ethA, and loopback with it
    assert bound_addresses(Selection(), addrs) == addrs


def test_selection_from_config() -> None:
    sel = Selection.of(
        TftpCfg(enable_tftp_interfaces=("x",), no_dhcp_interface=("y",)),
        CoreCfg(
            interface=("a",), except_interface=("b",), listen_address=(A,), bind_interfaces=True
        ),
    )
    assert sel == Selection(("x",), ("a",), ("b",), (A,), ("y",), True)


def test_no_dhcp_interface_reaches_the_tftp_config() -> None:
    cfg = load(["--enable-tftp", "--no-dhcp-interface=ethB,ethC", "--no-dhcp-interface=ethD"])
    assert cfg.tftp.no_dhcp_interface == ("ethB", "ethC", "ethD")
