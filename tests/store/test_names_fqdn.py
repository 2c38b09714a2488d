"""LeaseNames with --dhcp-fqdn (`fqdn_only`): only name.domain, as dnsmasq 2.90's
lease_update_dns (verified on the wire in tests/dhcp4/test_fqdn_dns_e2e.py)."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address

from lanctl.store.backend import MemoryBackend
from lanctl.store.lease import Lease4
from lanctl.store.names import LeaseNames, NameTableBuilder

MAC = bytes.fromhex("001122334455")


def p(text: str) -> bytes:
    return ip_address(text).packed


def names(fqdn_only: bool, *leases: Lease4) -> LeaseNames:
    def domain(packed: bytes) -> str | None:
        return "lan" if packed[:3] == p("192.0.2.0")[:3] else None

    ln = LeaseNames(MemoryBackend(list(leases)), domain, 7, fqdn_only=fqdn_only)
    ln.refresh(NameTableBuilder().build(), 1000, force=True)
    return ln


def lease(addr: str, name: str) -> Lease4:
    return Lease4(IPv4Address(addr), MAC, hostname=name, expires=5000)


def test_fqdn_only_publishes_the_qualified_name_alone_with_its_ptr() -> None:
    ln = names(True, lease("192.0.2.50", "Laptop"))
    assert ln.forward == {b"laptop.lan": [(p("192.0.2.50"), 5000)]}
    assert ln.reverse == {p("192.0.2.50"): (b"laptop.lan", 5000)}


def test_default_mode_publishes_both_names() -> None:
    ln = names(False, lease("192.0.2.50", "laptop"))
    assert set(ln.forward) == {b"laptop.lan", b"laptop"}


def test_fqdn_only_without_a_domain_for_the_address_publishes_nothing() -> None:
    ln = names(True, lease("198.51.100.7", "far"))
    assert ln.forward == {} and ln.reverse == {}


def test_fqdn_only_keeps_a_name_that_is_already_qualified() -> None:
    ln = names(True, lease("198.51.100.7", "far.example.test"))
    assert set(ln.forward) == {b"far.example.test"}
