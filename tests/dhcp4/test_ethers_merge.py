"""merge_ethers: /etc/ethers lines merged into dhcp-host lines as dnsmasq 2.90 does.

The wire behaviour of each rule is checked against dnsmasq in
tests/dhcp4/test_ethers_compat.py; these are the table-level facts behind it.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from lanctl.config.grammar.dhcp_host import DhcpHost, dhcp_host
from lanctl.dhcp4.hostfiles import merge_ethers
from lanctl.errors import Where

MAC = "02:00:00:00:01:02"
OTHER = "02:00:00:00:09:09"
A = IPv4Address


def host(text: str) -> DhcpHost:
    return dhcp_host(text, Where("t.conf", 1))


def mac_of(h: DhcpHost) -> str:
    assert len(h.macs) == 1
    return ":".join(f"{b:02x}" for b in h.macs[0].octets)


def test_the_dhcp_host_of_that_mac_takes_the_ethers_address_and_keeps_its_name() -> None:
    m = merge_ethers(f"{MAC} 192.0.2.60\n", "/etc/ethers", [host(f"{MAC},192.0.2.50,cfg")])
    assert [(h.ipv4, h.hostname) for h in m.config] == [(A("192.0.2.60"), "cfg")]
    assert m.added == () and m.messages == ("read /etc/ethers - 1 addresses",)


def test_the_dhcp_host_of_that_mac_takes_the_ethers_name() -> None:
    m = merge_ethers(f"{MAC} EthName\n", "/etc/ethers", [host(f"{MAC},192.0.2.50,cfg")])
    assert [(h.ipv4, h.hostname) for h in m.config] == [(A("192.0.2.50"), "ethname")]


def test_the_dhcp_host_with_the_address_or_name_takes_the_mac_as_its_only_one() -> None:
    config = [host(f"{OTHER},{MAC.replace('02', '06', 1)},192.0.2.61"), host("cfg,192.0.2.62")]
    text = f"{MAC} 192.0.2.61\n{OTHER} CFG\n"
    m = merge_ethers(text, "/etc/ethers", config)
    assert [mac_of(h) for h in m.config] == [MAC, OTHER]
    assert [h.ipv4 for h in m.config] == [A("192.0.2.61"), A("192.0.2.62")]
    assert m.added == ()


def test_other_lines_are_hosts_of_their_own_and_duplicates_are_ignored() -> None:
    text = f"{MAC} box\n{OTHER} box\n02:00:00:00:09:0a 192.0.2.70\n02:00:00:00:09:0b 192.0.2.70\n"
    m = merge_ethers(text, "/etc/ethers", [host(f"{OTHER},192.0.2.50")])
    assert [(mac_of(h), h.hostname, h.ipv4) for h in m.added] == [
        (MAC, "box", None),
        ("02:00:00:00:09:0a", None, A("192.0.2.70")),
    ]
    assert m.messages == (
        "ignoring /etc/ethers line 2, duplicate name or IP address",
        "ignoring /etc/ethers line 4, duplicate name or IP address",
        "read /etc/ethers - 2 addresses",
    )
    assert [h.ipv4 for h in m.config] == [A("192.0.2.50")]  # untouched


def test_a_wildcard_or_multi_mac_dhcp_host_is_not_merged_by_mac() -> None:
    config = [host(f"{MAC},{OTHER},192.0.2.50"), host("02:00:00:00:01:*,192.0.2.51")]
    m = merge_ethers(f"{MAC} 192.0.2.60\n", "/etc/ethers", config)
    assert m.config == tuple(config)
    assert [(mac_of(h), h.ipv4) for h in m.added] == [(MAC, A("192.0.2.60"))]
