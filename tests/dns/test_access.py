"""lanctl.dns.access: --local-service, unit-level and on loopback (wildcard sockets)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.dns import access
from lanctl.dns.access import LocalSubnets, service_mode
from lanctl.dns.server import DnsHandle
from tests.dns.test_server_loopback import dig, run_server
from tests.support import free_port

NET = ipaddress.ip_network


def test_sources_on_connected_subnets_only_and_reread_on_miss() -> None:
    reads: list[int] = []
    nets = [NET("192.0.2.0/24"), NET("2001:db8::/64")]
    now = [0.0]

    def read() -> list[access.IPNetwork]:
        reads.append(1)
        return list(nets)

    s = LocalSubnets(read, clock=lambda: now[0])
    assert s.allows("192.0.2.77") and s.allows("2001:db8::5") and s.allows("::ffff:192.0.2.9")
    assert not s.allows("198.51.100.1") and not s.allows("not-an-address")
    assert len(reads) == 1  # misses within a second do not re-read
    nets.append(NET("198.51.100.0/24"))  # a new interface appears
    now[0] = 2.0
    assert s.allows("198.51.100.1") and len(reads) == 2
    assert s.refused == 2  # 198.51.100.1 before the re-read, and the bad address


def test_mode_only_without_listen_address(tmp_path: Path) -> None:
    assert service_mode(load(["--local-service"])) == "net"
    assert service_mode(load(["--local-service=net"])) == "net"
    assert service_mode(load(["--local-service=host"])) == "host"
    assert service_mode(load(["--local-service", "--listen-address=127.0.0.1"])) is None
    assert service_mode(load([])) is None


def _cfg(port: int, *extra: str) -> object:
    return load(["--no-resolv", "--no-hosts", f"--port={port}", "--address=/x.example/192.0.2.9",
                 *extra])  # fmt: skip


def test_host_mode_binds_loopback_only() -> None:
    port = free_port()

    async def body(handle: DnsHandle) -> None:
        assert {a for a, _ in handle.addresses} <= {"127.0.0.1", "::1"}
        assert "192.0.2.9" in await dig(port, "+short", "x.example")

    run_server(_cfg(port, "--local-service=host"), body)  # type: ignore[arg-type]


def test_net_mode_answers_connected_and_drops_others(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()

    async def answered(handle: DnsHandle) -> None:
        assert {a for a, _ in handle.addresses} >= {"0.0.0.0"}
        assert "192.0.2.9" in await dig(port, "+short", "x.example")  # 127.0.0.1 is on lo
        assert handle.stats()["refused_non_local"] == 0

    run_server(_cfg(port, "--local-service"), answered)  # type: ignore[arg-type]
    monkeypatch.setattr(access, "connected_networks", lambda: [NET("192.0.2.0/24")])
    port = free_port()

    async def dropped(handle: DnsHandle) -> None:
        out = await dig(port, "x.example")
        assert "timed out" in out and "192.0.2.9" not in out
        assert handle.stats()["refused_non_local"] >= 1

    run_server(_cfg(port, "--local-service"), dropped)  # type: ignore[arg-type]
