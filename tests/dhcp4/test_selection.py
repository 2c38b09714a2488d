"""Where DHCPv4 is served (lanctl.dhcp4.selection): pure rules, dnsmasq 2.90 behaviour."""

from __future__ import annotations

import pytest

from lanctl.config import load
from lanctl.dhcp4.selection import DhcpSelection, bound_device, serves

IFACES = {"lo": ("127.0.0.1",), "eth0": ("192.0.2.1",), "eth1": ("198.51.100.1",)}


def sel(*options: str) -> DhcpSelection:
    return DhcpSelection.of(load(["-C", "/dev/null", *options]))


def served(s: DhcpSelection) -> set[str]:
    return {name for name, addrs in IFACES.items() if serves(s, name, addrs)}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), {"eth0", "eth1"}),  # every interface but loopback
        (("--interface=eth0",), {"eth0"}),  # lo is added for DNS, not for DHCP
        (("--interface=eth*",), {"eth0", "eth1"}),
        (("--interface=lo",), {"lo"}),
        (("--except-interface=eth0",), {"eth1"}),
        (("--listen-address=198.51.100.1",), {"eth1"}),  # the interface owning the address
        (("--interface=eth0", "--listen-address=198.51.100.1"), {"eth0", "eth1"}),
        (("--interface=eth0", "--interface=eth1", "--except-interface=eth1"), {"eth0"}),
        (("--listen-address=192.0.2.1", "--except-interface=eth0"), {"eth0"}),  # address wins
        (("--no-dhcp-interface=eth0",), {"eth1"}),
        (("--no-dhcpv4-interface=eth1",), {"eth0"}),
        (("--interface=eth0", "--no-dhcp-interface=eth0"), set()),
    ],
)
def test_served_interfaces(options: tuple[str, ...], expected: set[str]) -> None:
    assert served(sel(*options)) == expected


@pytest.mark.parametrize(
    ("options", "device"),
    [
        (("--interface=eth0",), None),  # without --bind-interfaces: wildcard, unbound
        (("--interface=eth0", "--bind-interfaces"), "eth0"),
        (("--interface=eth0", "--bind-dynamic"), "eth0"),
        (("--interface=eth0", "--interface=eth1", "--bind-interfaces"), None),
        (
            ("--interface=eth0", "--interface=eth1", "--no-dhcp-interface=eth1", "-z"),
            "eth0",
        ),
        (("--interface=eth*", "--bind-interfaces"), None),  # more may appear later
        (("--interface=eth9", "--bind-interfaces"), None),  # does not exist (yet)
        (("--listen-address=192.0.2.1", "--bind-interfaces"), None),  # no --interface
        (("--bind-interfaces",), None),
    ],
)
def test_bound_device(options: tuple[str, ...], device: str | None) -> None:
    assert bound_device(sel(*options), IFACES) == device
