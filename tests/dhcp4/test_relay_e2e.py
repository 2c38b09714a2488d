"""--dhcp-relay on the wire: client -- relay -- server in three namespaces.

cli (no address) --- rly: 192.0.2.1/24 | 198.51.100.1/24 --- srv: 198.51.100.2/24, with
a route back to 192.0.2.0/24 through the relay.  The relay runs `lanctl dhcp serve` with
only --dhcp-relay (dnsmasq 2.90 as the differential); the server (lanctl, or dnsmasq)
serves 192.0.2.0/24 by giaddr.  udhcpc in cli must get a lease, and the server must see
the relay's giaddr and hop count (its --log-dhcp lines and lease file).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from tests.dhcp4.netlab import (
    UDHCPC_APPLY,
    Server,
    event,
    start_server,
    udhcpc_once,
    wait_for,
    write_hook,
)
from tests.support import require_tool
from tests.support.netns import Lab, Namespace

CLIENT_MAC = "02:00:00:00:01:02"


@dataclass
class Chain:
    cli: Namespace
    rly: Namespace
    srv: Namespace
    cli_if: str
    up_if: str  # the relay's leg towards the server
    work: Path

    def start(self, kind: str, ns: Namespace, role: str, *lines: str) -> Server:
        work = self.work / role
        work.mkdir()
        return start_server(kind, ns, work, *lines)


@pytest.fixture
def chain(netns: Lab, tmp_path: Path) -> Iterator[Chain]:
    cli, rly, srv = netns("cli"), netns("rly"), netns("srv")
    down = netns.link(rly, cli, ["192.0.2.1/24"], [], b_mac=CLIENT_MAC)
    up = netns.link(rly, srv, ["198.51.100.1/24"], ["198.51.100.2/24"])
    srv.run(["ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1"])
    yield Chain(cli, rly, srv, down.b_if, up.a_if, tmp_path)


SERVER_LINES = ("dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h",)
RELAY_LINES = ("dhcp-relay=192.0.2.1,198.51.100.2",)


@pytest.mark.parametrize(
    ("relay_kind", "server_kind"),
    [("lanctl", "lanctl"), ("dnsmasq", "lanctl"), ("lanctl", "dnsmasq")],
)
def test_client_gets_a_lease_through_the_relay(
    chain: Chain, relay_kind: str, server_kind: str
) -> None:
    server = chain.start(server_kind, chain.srv, "srv", *SERVER_LINES)
    relay = chain.start(relay_kind, chain.rly, "rly", *RELAY_LINES)
    env = udhcpc_once(chain.cli, chain.cli_if, chain.work)
    ip = env["ip"]
    assert IPv4Address("192.0.2.50") <= IPv4Address(ip) <= IPv4Address("192.0.2.99")
    assert env["serverid"] == "198.51.100.2"
    wait_for(
        lambda: any(f" {CLIENT_MAC} {ip} " in x for x in server.lease_lines()),
        "the server's lease line",
        log=server.log,
    )
    log = server.log.read_text()
    assert "DHCPACK" in log and ip in log  # served from the giaddr subnet (no local leg)
    assert relay.lease_lines() == []  # the relay itself leases nothing
    if relay_kind == "lanctl":
        assert "DHCP relay from 192.0.2.1 to 198.51.100.2" in relay.log.read_text()
    server.alive()
    relay.alive()


@pytest.mark.parametrize("server_kind", ["lanctl", "dnsmasq"])
def test_dhcp_proxy_makes_renewals_go_through_the_relay(chain: Chain, server_kind: str) -> None:
    """--dhcp-proxy on the server: the relay is the server id, so the renewal (unicast to
    the server id) reaches the relay, which relays it; the server ACKs it via the relay."""
    server = chain.start(server_kind, chain.srv, "srv", *SERVER_LINES, "dhcp-proxy")
    relay = chain.start("lanctl", chain.rly, "rly", *RELAY_LINES)
    hook, events = write_hook(chain.work, "udhcpc", UDHCPC_APPLY)
    argv = [require_tool("udhcpc"), "-f", "-i", chain.cli_if, "-s", str(hook), "-t", "6", "-T", "3"]
    proc = chain.cli.popen(argv)
    bound = wait_for(lambda: event(events, ("bound",)), "udhcpc bound", log=server.log)
    assert bound["serverid"] == "192.0.2.1"  # the relay, not 198.51.100.2
    acks = server.log.read_text().count("DHCPACK")
    proc.send_signal(signal.SIGUSR1)  # renew: unicast REQUEST to the server id
    renew = wait_for(lambda: event(events, ("renew",)), "udhcpc renew", log=server.log)
    assert renew["ip"] == bound["ip"] and renew["serverid"] == "192.0.2.1"
    assert server.log.read_text().count("DHCPACK") > acks
    proc.terminate()
    proc.wait(10)
    server.alive()
    relay.alive()


@pytest.mark.parametrize("relay_kind", ["lanctl", "dnsmasq"])
def test_relay_without_server_broadcasts_on_its_interface(chain: Chain, relay_kind: str) -> None:
    """dhcp-relay=<local>,<interface>: the request goes to that interface's broadcast address.

    dnsmasq asks the kernel (SIOCGIFBRDADDR), which knows one only with `brd +`; without it
    dnsmasq sends to 0.0.0.0 (itself).  lanctl derives it from the prefix either way.
    """
    chain.rly.run(["ip", "addr", "del", "198.51.100.1/24", "dev", chain.up_if])
    chain.rly.run(["ip", "addr", "add", "198.51.100.1/24", "brd", "+", "dev", chain.up_if])
    server = chain.start("lanctl", chain.srv, "srv", *SERVER_LINES)
    relay = chain.start(relay_kind, chain.rly, "rly", f"dhcp-relay=192.0.2.1,{chain.up_if}")
    env = udhcpc_once(chain.cli, chain.cli_if, chain.work)
    assert env["serverid"] == "198.51.100.2"
    assert IPv4Address("192.0.2.50") <= IPv4Address(env["ip"]) <= IPv4Address("192.0.2.99")
    if relay_kind == "lanctl":
        assert f"DHCP relay from 192.0.2.1 via {chain.up_if}" in relay.log.read_text()
        assert f"DHCP relay at 192.0.2.1 -> broadcast via {chain.up_if}" in relay.log.read_text()
    server.alive()
    relay.alive()
