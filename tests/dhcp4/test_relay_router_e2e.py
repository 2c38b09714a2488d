"""Option 3 (router) for relayed clients, on the wire, lanctl against dnsmasq 2.90.

Topology as tests/dhcp4/test_relay_e2e.py: cli --- rly (192.0.2.1 | 198.51.100.1) --- srv
(198.51.100.2).  Without a dhcp-option=3, dnsmasq gives a relayed client the relay's
giaddr as its default router (dhcp.c links the giaddr's context with router=giaddr), and
a client on a local link the server's own address on that link.  The packet-level cases
play the relay themselves (a socket on port 67 in rly) to send requests with and without a
parameter request list and compare the replies' option 3 between the two servers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.dhcp4.wire import MessageType, Packet, decode_packet
from tests.dhcp4.helpers import packet
from tests.dhcp4.netlab import start_server, udhcpc_once
from tests.support.netns import Lab, Namespace

CLIENT_MAC = "02:00:00:00:01:02"
SERVER_LINES = ("dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h",)


@dataclass
class Chain:
    cli: Namespace
    rly: Namespace
    srv: Namespace
    cli_if: str
    work: Path


@pytest.fixture
def chain(netns: Lab, tmp_path: Path) -> Iterator[Chain]:
    cli, rly, srv = netns("cli"), netns("rly"), netns("srv")
    down = netns.link(rly, cli, ["192.0.2.1/24"], [], b_mac=CLIENT_MAC)
    netns.link(rly, srv, ["198.51.100.1/24"], ["198.51.100.2/24"])
    srv.run(["ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1"])
    yield Chain(cli, rly, srv, down.b_if, tmp_path)


def relayed_env(chain: Chain, server_kind: str, *server_lines: str) -> dict[str, str]:
    (chain.work / "srv").mkdir()
    (chain.work / "rly").mkdir()
    server = start_server(server_kind, chain.srv, chain.work / "srv", *SERVER_LINES, *server_lines)
    relay = start_server(
        "dnsmasq", chain.rly, chain.work / "rly", "dhcp-relay=192.0.2.1,198.51.100.2"
    )
    env = udhcpc_once(chain.cli, chain.cli_if, chain.work)
    server.alive()
    relay.alive()
    return env


@pytest.mark.parametrize("server_kind", ["lanctl", "dnsmasq"])
def test_relayed_client_gets_the_giaddr_as_router(chain: Chain, server_kind: str) -> None:
    env = relayed_env(chain, server_kind)
    assert env["serverid"] == "198.51.100.2"
    assert env.get("router") == "192.0.2.1"


@pytest.mark.parametrize("server_kind", ["lanctl", "dnsmasq"])
def test_configured_router_wins_over_the_giaddr(chain: Chain, server_kind: str) -> None:
    env = relayed_env(chain, server_kind, "dhcp-option=3,192.0.2.254")
    assert env.get("router") == "192.0.2.254"


@pytest.mark.parametrize("server_kind", ["lanctl", "dnsmasq"])
def test_empty_router_option_sends_none(chain: Chain, server_kind: str) -> None:
    env = relayed_env(chain, server_kind, "dhcp-option=3")
    assert "router" not in env


def relayed_replies(chain: Chain, server_kind: str, requests: list[bytes]) -> list[Packet]:
    """Send each request as a relay at 192.0.2.1 would; the reply to each (to giaddr:67)."""
    (chain.work / "srv").mkdir()
    server = start_server(server_kind, chain.srv, chain.work / "srv", *SERVER_LINES)
    sock = chain.rly.socket()
    replies: list[Packet] = []
    try:
        sock.bind(("0.0.0.0", 67))
        sock.settimeout(0.2)
        for payload in requests:
            sock.sendto(payload, ("198.51.100.2", 67))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                reply = decode_packet(data)
                if reply.xid == int.from_bytes(payload[4:8], "big"):
                    replies.append(reply)
                    break
            else:
                raise AssertionError(f"no reply from {server_kind}\n{server.log.read_text()}")
    finally:
        sock.close()
    server.alive()
    return replies


GIADDR = IPv4Address("192.0.2.1")
HW = bytes.fromhex(CLIENT_MAC.replace(":", ""))


@pytest.mark.parametrize("server_kind", ["lanctl", "dnsmasq"])
def test_relayed_router_with_and_without_a_parameter_list(chain: Chain, server_kind: str) -> None:
    d = MessageType.DHCPDISCOVER
    requests = [
        packet(d, HW, xid=11, giaddr=GIADDR),  # no option 55: dnsmasq sends what it has
        packet(d, HW, xid=12, giaddr=GIADDR, params=bytes([1, 3, 6])),
        packet(d, HW, xid=13, giaddr=GIADDR, params=bytes([1, 6])),  # router not asked for
    ]
    r11, r12, r13 = relayed_replies(chain, server_kind, requests)
    assert r11.options.get(3) == GIADDR.packed
    assert r12.options.get(3) == GIADDR.packed
    assert 3 not in r13.options
