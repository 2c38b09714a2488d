"""Which sockets the DNS service binds and whether a gate checks queries (dns/listen.py)."""

from __future__ import annotations

import socket

from lanctl.config.model import CoreCfg
from lanctl.dns.listen import bound_addresses, plan
from lanctl.net.interfaces import IfAddr, Interfaces

ADDRS = [
    IfAddr("lo", "127.0.0.1", 1),
    IfAddr("lo", "::1", 1),
    IfAddr("a0", "192.0.2.1", 5),
    IfAddr("a0", "fe80::1", 5),
    IfAddr("b0", "198.51.100.1", 6),
]


def ifaces() -> Interfaces:
    return Interfaces(lambda: list(ADDRS))


def addrs(core: CoreCfg) -> list[str]:
    return [a for _f, a, _s in plan(core, ifaces()).targets]


def test_default_is_wildcard_without_gate() -> None:
    p = plan(CoreCfg(), None)
    assert p.wildcard and p.gate is None
    assert addrs(CoreCfg()) == ["0.0.0.0", "::"]


def test_interface_wildcard_with_udp_checks() -> None:
    p = plan(CoreCfg(interface=("a0",)), ifaces())
    assert p.wildcard and p.gate is not None and p.gate.udp_checks


def test_listen_address_alone_binds_it_and_checks_tcp_only() -> None:
    p = plan(CoreCfg(listen_address=("192.0.2.1",)), ifaces())
    assert [a for _f, a, _s in p.targets] == ["192.0.2.1"]
    assert p.gate is not None and not p.gate.udp_checks


def test_bind_interfaces_binds_allowed_addresses_without_gate() -> None:
    core = CoreCfg(interface=("a0",), bind_interfaces=True)
    p = plan(core, ifaces())
    assert p.gate is None and not p.wildcard
    assert addrs(core) == ["127.0.0.1", "::1", "192.0.2.1", "fe80::1"]
    scopes = {a: s for _f, a, s in p.targets}
    assert scopes["fe80::1"] == 5 and scopes["192.0.2.1"] == 0
    assert p.targets[0][0] == socket.AF_INET and p.targets[1][0] == socket.AF_INET6


def test_bind_except_and_missing_listen_address() -> None:
    core = CoreCfg(except_interface=("b0",), bind_interfaces=True)
    assert [a for a, _s in bound_addresses(core, ADDRS)] == [
        "127.0.0.1", "::1", "192.0.2.1", "fe80::1",
    ]  # fmt: skip
    # a --listen-address no interface holds is still bound (and fails there as dnsmasq);
    # without --interface the loopback is not added
    core = CoreCfg(listen_address=("203.0.113.9",), bind_interfaces=True)
    assert [a for a, _s in bound_addresses(core, ADDRS)] == ["203.0.113.9"]


def test_bind_dynamic_keeps_the_gate() -> None:
    p = plan(CoreCfg(interface=("a0",), bind_dynamic=True), ifaces())
    assert p.gate is not None and p.gate.udp_checks and not p.wildcard


def test_local_service_host_binds_loopback() -> None:
    assert addrs_loop() == ["127.0.0.1", "::1"]


def addrs_loop() -> list[str]:
    return [a for _f, a, _s in plan(CoreCfg(interface=("a0",)), None, loopback=True).targets]
