"""Adapter pieces that need no network: interface choice, store opening, lease-file writes."""

from __future__ import annotations

import socket
import time
from ipaddress import IPv4Address
from pathlib import Path

from lanctl.config import load
from lanctl.dhcp4.leasewriter import open_store
from lanctl.dhcp4.selection import DhcpSelection
from lanctl.dhcp4.server import Interfaces, LeaseFileWriter, local_interfaces
from lanctl.store.backend import MemoryBackend
from lanctl.store.lease import Lease4
from tests.dhcp4.helpers import dora, engine, mac

LINE = "1900000000 02:00:00:00:00:07 192.0.2.77 oldbox 01:02:00:00:00:00:07\n"


def _sel(*options: str) -> DhcpSelection:
    return DhcpSelection.of(load(["-C", "/dev/null", *options]))


def test_served_interfaces_follow_the_selection() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        default = Interfaces(sock, _sel(), time.monotonic)
        assert default.served("eth0") and not default.served("lo")
        only = Interfaces(sock, _sel("--interface=eth1", "--interface=lo"), time.monotonic)
        assert only.served("eth1") and only.served("lo") and not only.served("eth0")
        but = Interfaces(sock, _sel("--except-interface=eth0"), time.monotonic)
        assert not but.served("eth0") and but.served("eth1")
        lo = default.lookup(socket.if_nametoindex("lo"))
        assert lo is None  # lo is not served by default
        named = Interfaces(sock, _sel("--interface=lo"), time.monotonic).lookup(1)
        assert named is not None and named[0] == "lo"
        assert str(named[1][0]) == "127.0.0.1/8"


def test_local_interfaces_lists_loopback_with_its_address() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert local_interfaces(sock)["lo"] == ("127.0.0.1",)


def test_first_start_imports_dnsmasqs_lease_file_and_restart_keeps_leases(tmp_path: Path) -> None:
    leases = tmp_path / "dnsmasq.leases"
    leases.write_text(LINE)
    cfg = load(
        ["-C", "/dev/null", f"--dhcp-leasefile={leases}", "--dhcp-range=192.0.2.50,192.0.2.99"]
    )
    backend, writer = open_store(cfg)
    try:
        (lease,) = backend.all4()
        assert lease.address == IPv4Address("192.0.2.77") and lease.hostname == "oldbox"
        backend.commit([Lease4(IPv4Address("192.0.2.60"), mac(1), expires=1900000000)])
        assert writer is not None and writer.path == str(leases)
    finally:
        backend.close()
    leases.write_text("")  # the store, not the file, is the truth after the first start
    backend, _ = open_store(cfg)
    try:
        assert [str(x.address) for x in backend.all4()] == ["192.0.2.60", "192.0.2.77"]
    finally:
        backend.close()


def test_leasefile_ro_keeps_leases_in_memory_only(tmp_path: Path) -> None:
    leases = tmp_path / "dnsmasq.leases"
    leases.write_text(LINE)
    cfg = load(["-C", "/dev/null", f"--dhcp-leasefile={leases}", "--leasefile-ro"])
    backend, writer = open_store(cfg)
    assert isinstance(backend, MemoryBackend) and writer is None and backend.all4() == []
    assert not (tmp_path / "dnsmasq.leases.sqlite").exists()


def test_lease_file_writer_coalesces_and_writes_dnsmasq_lines(tmp_path: Path) -> None:
    path = tmp_path / "leases"
    writer = LeaseFileWriter(str(path), interval=1.0)
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.99,12h")
    addr = dora(eng, mac(1), hostname="box").yiaddr
    assert writer.due(10.0) and not writer.due(10.5)  # written once, nothing new since
    writer.write(writer.snapshot(eng, MemoryBackend()))
    lease = eng.leases[addr]
    assert path.read_text() == f"{lease.expires} 02:00:00:00:00:01 {addr} box *\n"
    writer.dirty = True
    assert not writer.due(10.9) and writer.due(11.0)


def test_a_reply_held_by_reply_delay_wakes_the_timer_task_at_its_deadline() -> None:
    from lanctl.dhcp4.server import Adapter
    from lanctl.dhcp4.wire import MessageType
    from tests.dhcp4.helpers import T0, feed, packet

    eng = engine("--dhcp-range=192.0.2.10,192.0.2.20,12h", "--dhcp-reply-delay=1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ifaces = Interfaces(sock, _sel(), time.monotonic)
        adapter = Adapter(sock, eng, MemoryBackend(), None, ifaces)
        adapter.timer_at = T0 + 0.9  # the timer task sleeps until then: nothing to do
        adapter.flush()
        assert not adapter.wake.is_set()
        adapter.timer_at = T0 + 5.0  # it sleeps longer than the reply may wait
        adapter.pending.extend(feed(eng, packet(MessageType.DHCPDISCOVER, mac(1)), T0))
        adapter.flush()
        assert adapter.wake.is_set() and adapter.timer_at == T0 + 1
