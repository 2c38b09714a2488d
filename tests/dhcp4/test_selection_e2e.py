"""Interface selection for DHCPv4 on the wire, lanctl against dnsmasq 2.90.

Namespace srv has two legs, A (192.0.2.1/24) and B (198.51.100.1/24 and the secondary
198.51.100.7/24), each with a range; namespace cli holds the other ends, no addresses.
For each configuration a raw DISCOVER (broadcast flag) goes out of each client leg; the
legs that get an OFFER must be the same for lanctl and dnsmasq, and as expected.
--bind-interfaces with one interface shows as `0.0.0.0%IF:67` in `ss`;
--dhcp-alternate-port moves both ports.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dhcp4.netlab import REPO, start_server
from tests.dhcp4.rawclient import discover
from tests.support.netns import Lab, Namespace

RANGES = ("dhcp-range=192.0.2.50,192.0.2.99,1h", "dhcp-range=198.51.100.50,198.51.100.99,1h")
HW = bytes.fromhex("020000000901")


@dataclass
class Legs:
    netns: Lab
    srv: Namespace
    cli: Namespace
    a: str  # server side of leg A
    b: str
    ca: str  # client side of leg A
    cb: str
    work: Path


@pytest.fixture
def legs(netns: Lab, tmp_path: Path) -> Iterator[Legs]:
    srv, cli = netns("srv"), netns("cli")
    la = netns.link(srv, cli, ["192.0.2.1/24"], [])
    lb = netns.link(srv, cli, ["198.51.100.1/24"], [])
    srv.add_address(lb.a_if, "198.51.100.7/24")  # a secondary address on leg B
    yield Legs(netns, srv, cli, la.a_if, lb.a_if, la.b_if, lb.b_if, tmp_path)


def offered_on(legs: Legs, kind: str, *options: str) -> set[str]:
    """Start `kind` with `options` ("{A}"/"{B}" name the legs); legs answered ("A", "B")."""
    lines = [o.format(A=legs.a, B=legs.b) for o in options]
    work = legs.work / f"{kind}-{abs(hash(options))}"
    work.mkdir()
    server = start_server(kind, legs.srv, work, *RANGES, *lines)
    try:
        out = {
            name
            for name, ifname in (("A", legs.ca), ("B", legs.cb))
            if discover(legs.cli, ifname, HW)
        }
        server.alive()
    finally:
        server.proc.terminate()
        server.proc.wait(10)
    return out


CASES = [
    ((), {"A", "B"}),
    (("interface={A}",), {"A"}),
    (("except-interface={A}",), {"B"}),
    (("listen-address=198.51.100.1",), {"B"}),
    (("interface={A}", "listen-address=198.51.100.1"), {"A", "B"}),
    (("no-dhcp-interface={A}",), {"B"}),
    (("no-dhcpv4-interface={B}",), {"A"}),
    (("interface={A}", "interface={B}", "except-interface={B}"), {"A"}),
    (("interface={A}", "bind-interfaces"), {"A"}),
    (("listen-address=192.0.2.1", "except-interface={A}"), {"A"}),  # the address wins
    (("listen-address=198.51.100.7",), {"B"}),  # a secondary address counts too
]


@pytest.mark.parametrize(("options", "expected"), CASES)
def test_same_interfaces_answered_as_dnsmasq(
    legs: Legs, options: tuple[str, ...], expected: set[str]
) -> None:
    assert offered_on(legs, "dnsmasq", *options) == expected  # the reference
    assert offered_on(legs, "lanctl", *options) == expected


def _listeners(ns: Namespace) -> list[str]:
    return [line.split()[3] for line in ns.run(["ss", "-Hlnu"]).stdout.splitlines()]


@pytest.mark.parametrize("kind", ["lanctl", "dnsmasq"])
def test_bind_interfaces_with_one_interface_binds_the_device(legs: Legs, kind: str) -> None:
    server = start_server(
        kind, legs.srv, legs.work, *RANGES, f"interface={legs.a}", "bind-interfaces"
    )
    assert f"0.0.0.0%{legs.a}:67" in _listeners(legs.srv)
    server.alive()


@pytest.mark.parametrize("kind", ["lanctl", "dnsmasq"])
def test_alternate_port_moves_server_and_client_ports(legs: Legs, kind: str) -> None:
    alternate = "dhcp-alternate-port=2067,2070"
    server = start_server(kind, legs.srv, legs.work, *RANGES, alternate, port=2067)
    assert any(x.endswith(":2067") for x in _listeners(legs.srv))
    assert not discover(legs.cli, legs.ca, HW, wait=1.0)  # nothing on 67 any more
    offers = discover(legs.cli, legs.ca, HW, server_port=2067, client_port=2070)
    assert offers and str(offers[0].yiaddr).startswith("192.0.2.")
    server.alive()


def test_two_instances_with_bind_interfaces_each_serve_their_interface(legs: Legs) -> None:
    """dnsmasq's OpenStack case: one instance per interface, each bound to its device."""
    servers = []
    for leg, rng in ((legs.a, RANGES[0]), (legs.b, RANGES[1])):
        work = legs.work / leg
        work.mkdir()
        servers.append(
            start_server("lanctl", legs.srv, work, rng, f"interface={leg}", "bind-interfaces")
        )
    a = discover(legs.cli, legs.ca, HW, all_offers=True)
    b = discover(legs.cli, legs.cb, HW, all_offers=True)
    assert [str(o.yiaddr).rsplit(".", 1)[0] for o in a] == ["192.0.2"]
    assert [str(o.yiaddr).rsplit(".", 1)[0] for o in b] == ["198.51.100"]
    for server in servers:
        server.alive()


@pytest.mark.parametrize("kind", ["lanctl", "dnsmasq"])
def test_second_instance_without_bind_interfaces_cannot_bind(legs: Legs, kind: str) -> None:
    first = start_server(kind, legs.srv, legs.work, RANGES[0], f"interface={legs.a}")
    work = legs.work / "second"
    work.mkdir()
    conf = work / "second.conf"
    conf.write_text(first.conf.read_text().replace(str(legs.work), str(work)))
    argv = ["dnsmasq", "-k", "-C", str(conf)]
    if kind == "lanctl":
        argv = [sys.executable, "-m", "lanctl", "dhcp", "serve", "-C", str(conf)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = legs.srv.run(argv, check=False, timeout=30, env=env)
    assert res.returncode == 2, res.stdout + res.stderr  # dnsmasq EC_BADNET
    assert "failed to bind DHCP server socket" in res.stdout + res.stderr
    first.alive()
