"""Without sockets: --shared-network for relayed clients, and which host line wins.

The wire facts are dnsmasq 2.90's (tests/dhcp4/test_shared_relay_compat.py and
tests/dhcp4/test_hosts_order_compat.py): a relayed client given an address from a
--shared-network subnet gets no router option, even when the relay's own subnet has no
range; of several host lines for one client the last read wins (files after the
configuration, /etc/ethers before the files), and a hosts-file line whose address an
earlier host has is dropped with dnsmasq's warning.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

import pytest

from lanctl.dhcp4 import hostfiles
from lanctl.dhcp4.filetables import FileTables
from lanctl.dhcp4.wire import MessageType, Opt
from tests.dhcp4.helpers import engine, feed, mac, one_reply, packet

A = IPv4Address
D = MessageType.DHCPDISCOVER
RANGE = "--dhcp-range=192.0.2.50,192.0.2.99,12h"
SHARED = "--dhcp-range=203.0.113.50,203.0.113.99,255.255.255.0,1h"
GIADDR = A("192.0.2.1")
HERE = (IPv4Interface("198.51.100.2/24"),)


def relayed_offer(*options: str, params: bytes | None = None) -> dict[int, bytes]:
    eng = engine(*options)
    pkt = packet(D, mac(1), giaddr=GIADDR, params=params)
    offer = one_reply(feed(eng, pkt, addrs=HERE))
    assert A("203.0.113.50") <= offer.yiaddr <= A("203.0.113.99")
    return offer.options


@pytest.mark.parametrize("params", [None, bytes([1, 3, 6, 28])])
def test_relayed_client_in_a_shared_subnet_gets_no_router(params: bytes | None) -> None:
    opts = relayed_offer(SHARED, "--shared-network=192.0.2.1,203.0.113.10", params=params)
    assert Opt.ROUTER not in opts
    assert opts[Opt.NETMASK] == A("255.255.255.0").packed
    assert opts[Opt.BROADCAST] == A("203.0.113.255").packed
    static = "--dhcp-range=192.0.2.0,static,255.255.255.0,1h"
    opts = relayed_offer(static, SHARED, "--shared-network=192.0.2.1,203.0.113.10", params=params)
    assert Opt.ROUTER not in opts


def test_a_configured_router_is_still_sent() -> None:
    opts = relayed_offer(
        SHARED, "--shared-network=192.0.2.1,203.0.113.10", "--dhcp-option=3,203.0.113.1"
    )
    assert opts[Opt.ROUTER] == A("203.0.113.1").packed


def test_a_relayed_client_in_the_relays_subnet_still_gets_the_giaddr() -> None:
    eng = engine("--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h", SHARED)
    offer = one_reply(feed(eng, packet(D, mac(1), giaddr=GIADDR), addrs=HERE))
    assert offer.options[Opt.ROUTER] == GIADDR.packed


M1 = mac(1).hex(":")


def test_the_last_dhcp_host_line_for_a_client_wins() -> None:
    eng = engine(RANGE, f"--dhcp-host={M1},192.0.2.53,n1", f"--dhcp-host={M1},192.0.2.54,n2")
    offer = one_reply(feed(eng, packet(D, mac(1))))
    assert offer.yiaddr == A("192.0.2.54") and offer.options[Opt.HOSTNAME] == b"n2"


@pytest.mark.parametrize("flip", [False, True])
def test_the_most_specific_mac_pattern_wins_wherever_it_is(flip: bool) -> None:
    lines = [
        f"--dhcp-host={M1},192.0.2.20",
        "--dhcp-host=02:00:00:00:00:*,192.0.2.21",
        "--dhcp-host=02:00:00:00:*:*,192.0.2.22",
    ]
    eng = engine(RANGE, *(reversed(lines) if flip else lines))
    assert one_reply(feed(eng, packet(D, mac(1)))).yiaddr == A("192.0.2.20")
    assert one_reply(feed(eng, packet(D, mac(2)))).yiaddr == A("192.0.2.21")
    assert one_reply(feed(eng, packet(D, mac(0x102)))).yiaddr == A("192.0.2.22")


def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ethers: str, hosts: str) -> Path:
    (tmp_path / "ethers").write_text(ethers)
    (tmp_path / "hosts").write_text(hosts)
    monkeypatch.setattr(hostfiles, "ETHERS", str(tmp_path / "ethers"))
    return tmp_path / "hosts"


def test_hosts_file_beats_ethers_and_dhcp_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = files(tmp_path, monkeypatch, f"{M1} 192.0.2.60\n", f"{M1},192.0.2.52\n")
    eng = engine(RANGE, f"--dhcp-host={M1},cfgname", "--read-ethers", f"--dhcp-hostsfile={path}")
    FileTables(eng).load()
    offer = one_reply(feed(eng, packet(D, mac(1))))
    assert offer.yiaddr == A("192.0.2.52") and Opt.HOSTNAME not in offer.options


def test_a_hosts_file_address_taken_earlier_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    other = mac(9).hex(":")
    path = files(tmp_path, monkeypatch, f"{M1} 192.0.2.61\n", f"{other},192.0.2.61\n")
    eng = engine(RANGE, "--read-ethers", f"--dhcp-hostsfile={path}")
    caplog.set_level("INFO", "lanctl.dhcp4")
    FileTables(eng).load()
    assert one_reply(feed(eng, packet(D, mac(1)))).yiaddr == A("192.0.2.61")
    assert one_reply(feed(eng, packet(D, mac(9)))).yiaddr != A("192.0.2.61")
    lines = [r.getMessage() for r in caplog.records]
    dup = f"duplicate dhcp-host IP address 192.0.2.61 at line 1 of {path}"
    assert lines == [
        "read " + str(tmp_path / "ethers") + " - 1 addresses",
        dup,
        f"read {path}",
    ]


def test_load_drops_addresses_taken_and_repeated(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text(
        f"{M1},192.0.2.61\n# x\n{mac(2).hex(':')},192.0.2.62\n{mac(3).hex(':')},192.0.2.62\n"
    )
    hosts, messages = hostfiles.load([str(path)], [A("192.0.2.61")])
    assert [h.ipv4 for h in hosts] == [A("192.0.2.62")]
    assert messages == [
        f"duplicate dhcp-host IP address 192.0.2.61 at line 1 of {path}",
        f"duplicate dhcp-host IP address 192.0.2.62 at line 4 of {path}",
        f"read {path}",
    ]
