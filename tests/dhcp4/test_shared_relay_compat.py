"""--shared-network with relayed clients, on the wire: lanctl against dnsmasq 2.90.

Topology as tests/dhcp4/test_relay_router_e2e.py (cli --- rly 192.0.2.1 | 198.51.100.1 ---
srv 198.51.100.2); the test plays the relay at 192.0.2.1 (a socket on port 67 in rly) and
sends DISCOVER and REQUEST with giaddr 192.0.2.1, without and with a parameter request
list.  With `shared-network=192.0.2.1,203.0.113.10` a client given an address in
203.0.113.0/24 gets no router option from dnsmasq, whether or not the relay's own subnet
has a range (only a configured dhcp-option=3 gives one); the replies of both servers must
be equal.  One case also compares the interface form on a local link (wireprobe.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.dhcp4.wire import MessageType, Packet, decode_packet
from tests.dhcp4.helpers import packet
from tests.dhcp4.netlab import start_server
from tests.dhcp4.wireprobe import CLIENT_MAC, probe, shape
from tests.support.netns import Lab, Namespace, stop_process

GIADDR = IPv4Address("192.0.2.1")
SERVER = IPv4Address("198.51.100.2")
HW = bytes.fromhex(CLIENT_MAC.replace(":", ""))
SHARED_RANGE = "dhcp-range=203.0.113.50,203.0.113.99,255.255.255.0,1h"
SHARED = "shared-network=192.0.2.1,203.0.113.10"

CASES = {
    "only-the-shared-subnet-has-a-range": (SHARED_RANGE, SHARED),
    "the-relay-subnet-is-static-only": (
        "dhcp-range=192.0.2.0,static,255.255.255.0,1h",
        SHARED_RANGE,
        SHARED,
    ),
    "a-dhcp-host-in-the-shared-subnet": (
        "dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h",
        SHARED_RANGE,
        SHARED,
        f"dhcp-host={CLIENT_MAC},203.0.113.20",
    ),
    "a-configured-router": (SHARED_RANGE, SHARED, "dhcp-option=3,203.0.113.1"),
}


@dataclass
class Relay:
    rly: Namespace
    srv: Namespace
    work: Path


@pytest.fixture
def relay(netns: Lab, tmp_path: Path) -> Iterator[Relay]:
    cli, rly, srv = netns("cli"), netns("rly"), netns("srv")
    netns.link(rly, cli, ["192.0.2.1/24"], [], b_mac=CLIENT_MAC)
    netns.link(rly, srv, ["198.51.100.1/24"], ["198.51.100.2/24"])
    srv.run(["ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1"])
    yield Relay(rly, srv, tmp_path)


def relayed(relay: Relay, kind: str, conf: tuple[str, ...]) -> list[Packet]:
    """DISCOVER then REQUEST (for the offer), without then with option 55, as the relay."""
    work = relay.work / kind
    work.mkdir()
    server = start_server(kind, relay.srv, work, *conf)
    sock = relay.rly.socket()
    out: list[Packet] = []
    try:
        sock.bind(("0.0.0.0", 67))
        sock.settimeout(5)
        for n, params in enumerate((None, bytes([1, 3, 6, 28]))):
            d = packet(MessageType.DHCPDISCOVER, HW, xid=10 + n, giaddr=GIADDR, params=params)
            offer = exchange(sock, d)
            r = packet(
                MessageType.DHCPREQUEST, HW, xid=20 + n, giaddr=GIADDR, params=params,
                requested=offer.yiaddr, server=SERVER,
            )  # fmt: skip
            out += [offer, exchange(sock, r)]
    finally:
        sock.close()
    server.alive()
    stop_process(server.proc)  # the next server listens in the same namespace
    return out


def exchange(sock: socket.socket, payload: bytes) -> Packet:
    sock.sendto(payload, (str(SERVER), 67))
    xid = int.from_bytes(payload[4:8], "big")
    while True:  # a timeout (5 s) raises
        reply = decode_packet(sock.recv(4096))
        if reply.xid == xid:
            return reply


@pytest.mark.parametrize("case", list(CASES))
def test_shared_network_relayed_replies_as_dnsmasq(relay: Relay, case: str) -> None:
    theirs = relayed(relay, "dnsmasq", CASES[case])
    ours = relayed(relay, "lanctl", CASES[case])
    assert [shape(p) for p in ours] == [shape(p) for p in theirs]
    assert all(str(p.yiaddr).startswith("203.0.113.") for p in theirs)
    routers = {p.options.get(3) for p in theirs}
    configured = case == "a-configured-router"
    assert routers == ({IPv4Address("203.0.113.1").packed} if configured else {None})


def test_shared_network_interface_form_as_dnsmasq(netns: Lab, tmp_path: Path) -> None:
    conf = (SHARED_RANGE, "shared-network={iface},203.0.113.10")
    reqs = (packet(MessageType.DHCPDISCOVER, HW, xid=1, flags=0x8000),)
    theirs = probe("dnsmasq", netns, tmp_path, conf, reqs)
    ours = probe("lanctl", netns, tmp_path, conf, reqs)
    assert [[shape(r.packet) for r in rs] for rs in ours.replies] == [
        [shape(r.packet) for r in rs] for rs in theirs.replies
    ]
    assert str(theirs.replies[0][0].packet.yiaddr).startswith("203.0.113.")
