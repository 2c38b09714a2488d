"""Client-class tag sources, ignore rules and generated names, through the engine (no sockets)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from lanctl.config.grammar.tags import DhcpMatch
from lanctl.dhcp4.classify import match_value, sub_options
from lanctl.dhcp4.effects import LeaseChanged
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.wire import MessageType, Opt, Packet
from tests.dhcp4.helpers import SERVER, dora, engine, feed, logs, mac, one_reply, packet, replies

D = MessageType.DHCPDISCOVER
RANGE = "--dhcp-range=192.0.2.50,192.0.2.99,12h"
RELAYED = "--dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0"
RELAY = IPv4Address("198.51.100.1")
# tag:x selects router .240, tag:!x selects router .241 (more specific rows win)
BY_TAG = ("--dhcp-option=tag:x,option:router,192.0.2.240", "--dhcp-option=3,192.0.2.241")
HIT, MISS = IPv4Address("192.0.2.240").packed, IPv4Address("192.0.2.241").packed


def offer(eng: Dhcp4Engine, hw: bytes = b"", **kw: object) -> Packet:
    return one_reply(feed(eng, packet(D, hw or mac(1), **kw)))  # type: ignore[arg-type]


def router(eng: Dhcp4Engine, hw: bytes = b"", **kw: object) -> bytes:
    return offer(eng, hw, **kw).options[Opt.ROUTER]


def agent(**subs: bytes) -> bytes:
    codes = {"circuit": 1, "remote": 2, "subscr": 6}
    return b"".join(bytes((codes[k], len(v))) + v for k, v in subs.items())


@pytest.mark.parametrize(
    ("line", "extra", "hit"),
    [
        ("--dhcp-vendorclass=set:x,udhcp", {60: b"udhcp 1.36.1"}, True),
        ("--dhcp-vendorclass=x,1.36", {60: b"udhcp 1.36.1"}, True),  # substring, set: optional
        ("--dhcp-vendorclass=set:x,UDHCP", {60: b"udhcp 1.36.1"}, False),  # case matters
        ("--dhcp-vendorclass=set:x,udhcp", {}, False),
        # the enterprise number is a DHCPv6 thing: dnsmasq 2.90 matches option 60 regardless
        ("--dhcp-vendorclass=set:x,enterprise:311,udhcp", {60: b"udhcp"}, True),
        ("--dhcp-userclass=set:x,accounts", {77: b"\x08accounts"}, True),
        ("--dhcp-userclass=set:x,accounts", {60: b"accounts"}, False),
        ("--dhcp-match=set:x,60", {60: b"anything"}, True),
        ("--dhcp-match=set:x,option:vendor-class", {}, False),
        ("--dhcp-match=set:x,77,01:*:03", {77: b"\x01\x02\x03\x04"}, True),  # prefix+wildcard
        ("--dhcp-match=set:x,77,01:*:03", {77: b"\x00\x01\x02\x03"}, False),  # not a prefix
        ("--dhcp-match=set:x,option:client-arch,6", {93: b"\x00\x07\x00\x06"}, True),
        ("--dhcp-match=set:x,option:client-arch,6", {93: b"\x06\x00"}, False),  # element bounds
        ("--dhcp-match=set:x,60,PXEClient", {60: b"PXEClient:Arch:00000"}, True),
        ("--dhcp-match=set:x,vi-encap:4491", {124: b"\x00\x00\x11\x8b\x02ab"}, True),
        ("--dhcp-match=set:x,vi-encap:4491,ab", {124: b"\x00\x00\x11\x8b\x02ab"}, True),
        ("--dhcp-match=set:x,vi-encap:4491,zz", {124: b"\x00\x00\x11\x8b\x02ab"}, False),
        ("--dhcp-match=set:x,vi-encap:9", {124: b"\x00\x00\x11\x8b\x02ab"}, False),
        ("--dhcp-mac=set:x,02:00:00:*:*:*", {}, True),
        ("--dhcp-mac=set:x,02:00:01:*:*:*", {}, False),
        ("--dhcp-mac=set:x,6-02:00:00:*:*:*", {}, False),  # hardware type 6 != ethernet
        ("--dhcp-name-match=set:x,box", {12: b"box"}, True),
        ("--dhcp-name-match=set:x,box", {12: b"BOX"}, True),
        ("--dhcp-name-match=set:x,box", {12: b"boxer"}, False),
        ("--dhcp-name-match=set:x,box*", {12: b"boxer"}, True),
    ],
)
def test_each_source_sets_the_tag_that_selects_an_option(
    line: str, extra: dict[int, bytes], hit: bool
) -> None:
    eng = engine(RANGE, *BY_TAG, line)
    assert router(eng, extra=extra) == (HIT if hit else MISS)


@pytest.mark.parametrize(
    ("line", "subs", "hit"),
    [
        ("--dhcp-circuitid=set:x,01:02:03", agent(circuit=b"\x01\x02\x03"), True),
        ("--dhcp-circuitid=set:x,01:02", agent(circuit=b"\x01\x02\x03"), False),  # exact only
        ("--dhcp-circuitid=set:x,port7", agent(circuit=b"port7"), True),
        ("--dhcp-remoteid=set:x,port7", agent(circuit=b"port7"), False),
        ("--dhcp-remoteid=set:x,aa:bb", agent(circuit=b"q", remote=b"\xaa\xbb"), True),
        ("--dhcp-subscrid=set:x,sub-1", agent(subscr=b"sub-1"), True),
        ("--dhcp-subscrid=set:x,sub-1", agent(remote=b"sub-1"), False),
    ],
)
def test_relay_agent_sub_options_match_exactly(line: str, subs: bytes, hit: bool) -> None:
    opts = ("--dhcp-option=tag:x,option:router,198.51.100.240", "--dhcp-option=3,198.51.100.241")
    eng = engine(RELAYED, *opts, line)
    got = router(eng, giaddr=RELAY, extra={82: subs})
    assert got == IPv4Address("198.51.100.240" if hit else "198.51.100.241").packed


def test_relay_agent_info_is_ignored_when_not_relayed() -> None:
    eng = engine(RANGE, *BY_TAG, "--dhcp-circuitid=set:x,port7")
    assert router(eng, extra={82: agent(circuit=b"port7")}) == MISS


def test_negated_tag_and_tag_if_combine_sources() -> None:
    eng = engine(
        RANGE,
        "--dhcp-vendorclass=set:vc,udhcp",
        "--dhcp-mac=set:lab,02:00:00:*:*:*",
        "--tag-if=set:x,tag:vc,tag:!lab",
        *BY_TAG,
    )
    other = bytes.fromhex("0a0000000001")
    assert router(eng, other, extra={60: b"udhcp"}) == HIT
    assert router(eng, mac(1), extra={60: b"udhcp"}) == MISS  # lab is set
    assert router(eng, other) == MISS  # no vendor class


def test_known_and_known_othernet() -> None:
    eng = engine(
        RANGE,
        "--dhcp-host=02:00:00:00:00:01,192.0.2.20",
        "--dhcp-host=02:00:00:00:00:02,198.51.100.20",
        "--dhcp-option=tag:known,option:router,192.0.2.240",
        "--dhcp-option=tag:known-othernet,option:router,192.0.2.242",
        "--dhcp-option=3,192.0.2.241",
    )
    first = offer(eng, mac(1))
    assert first.yiaddr == IPv4Address("192.0.2.20") and first.options[Opt.ROUTER] == HIT
    second = offer(eng, mac(2))  # its reservation is on another subnet: a dynamic address
    assert IPv4Address("192.0.2.50") <= second.yiaddr <= IPv4Address("192.0.2.99")
    assert second.options[Opt.ROUTER] == IPv4Address("192.0.2.242").packed
    assert router(eng, mac(3)) == MISS


def test_dhcp_ignore_refuses_unknown_clients_silently_with_a_log_line() -> None:
    eng = engine(RANGE, "--dhcp-ignore=tag:!known", "--dhcp-host=02:00:00:00:00:01,192.0.2.20")
    assert offer(eng, mac(1)).yiaddr == IPv4Address("192.0.2.20")
    eff = feed(eng, packet(D, mac(2)))
    assert replies(eff) == []
    assert logs(eff) == ["DHCPDISCOVER(veth0) 02:00:00:00:00:02 ignored"]
    req = packet(MessageType.DHCPREQUEST, mac(2), requested=IPv4Address("192.0.2.60"))
    assert replies(feed(eng, req)) == []


def test_dhcp_ignore_sees_tag_if_and_every_tag_must_match() -> None:
    eng = engine(
        RANGE,
        "--dhcp-vendorclass=set:vc,bad",
        "--tag-if=set:drop,tag:vc",
        "--dhcp-ignore=tag:drop,tag:veth0",
        "--dhcp-ignore=tag:drop,tag:other0",
    )
    assert replies(feed(eng, packet(D, mac(1), extra={60: b"badclient"}))) == []
    assert len(replies(feed(eng, packet(D, mac(2), extra={60: b"goodclient"})))) == 1


def test_ignore_names_drops_the_client_name_and_generate_names_makes_one() -> None:
    eng = engine(RANGE, "--dhcp-ignore-names")
    dora(eng, mac(1), hostname="box")
    assert [lease.hostname for lease in eng.leases.values()] == [None]
    eng = engine(RANGE, "--dhcp-name-match=set:bad,evil*", "--dhcp-ignore-names=tag:bad")
    dora(eng, mac(1), hostname="evilbox")
    dora(eng, mac(2), hostname="goodbox")
    assert sorted(str(lease.hostname) for lease in eng.leases.values()) == ["None", "goodbox"]
    eng = engine(RANGE, "--dhcp-generate-names", "--dhcp-host=02:00:00:00:00:03,named")
    ack = dora(eng, bytes.fromhex("02ab0000cd01"))
    assert ack.options[Opt.HOSTNAME] == b"02-ab-00-00-cd-01"
    dora(eng, mac(2), hostname="own")  # a name the client sends is used by preference
    dora(eng, mac(3))  # and a dhcp-host name
    names = sorted(str(lease.hostname) for lease in eng.leases.values())
    assert names == ["02-ab-00-00-cd-01", "named", "own"]


def test_generate_names_only_for_the_tagged_clients() -> None:
    eng = engine(RANGE, "--dhcp-mac=set:gen,02:00:00:*:*:*", "--dhcp-generate-names=tag:gen")
    dora(eng, mac(1))
    dora(eng, bytes.fromhex("0a0000000001"))
    names = {str(lease.hwaddr.hex()): lease.hostname for lease in eng.leases.values()}
    assert names == {"020000000001": "02-00-00-00-00-01", "0a0000000001": None}


def test_match_value_and_sub_options_edge_cases() -> None:
    row = DhcpMatch("x", 60, None, None, 4, b"ab", bytes(2), "string")
    assert match_value(row, b"xxab") and not match_value(row, b"a")
    assert match_value(DhcpMatch("x", 60, None, None, 4), b"")  # presence only
    assert list(sub_options(b"\x01\x02ab\x02\x05abc")) == [(1, b"ab")]  # truncated tail


def test_class_tags_filter_dhcp_host_but_name_match_tags_do_not() -> None:
    # dnsmasq 2.90 collects mac, relay and option tags before it looks up dhcp-host, and
    # name-match tags after (test_compat.py "class-tags-filter-dhcp-host" and
    # "name-match-filters-dhcp-host" check both against real dnsmasq).
    eng = engine(
        RANGE,
        "--dhcp-vendorclass=set:vc,vendor-1",
        "--dhcp-name-match=set:n,tagme",
        "--dhcp-host=tag:vc,02:00:00:00:00:01,192.0.2.22",
        "--dhcp-host=tag:n,02:00:00:00:00:02,192.0.2.23",
    )
    assert offer(eng, mac(1), extra={60: b"x-vendor-1"}).yiaddr == IPv4Address("192.0.2.22")
    assert offer(eng, mac(1)).yiaddr != IPv4Address("192.0.2.22")
    assert offer(eng, mac(2), hostname="tagme").yiaddr != IPv4Address("192.0.2.23")


def test_the_script_still_learns_the_name_the_client_supplied() -> None:
    eng = engine(RANGE, "--dhcp-ignore-names", "--dhcp-script=/bin/true")
    offer_ = offer(eng, mac(1), hostname="box")
    req = packet(
        MessageType.DHCPREQUEST, mac(1), requested=offer_.yiaddr, server=SERVER, hostname="box"
    )
    (change,) = [e for e in feed(eng, req) if isinstance(e, LeaseChanged)]
    assert change.lease.hostname is None
    assert change.info is not None and change.info.supplied_hostname == "box"
    plain = engine(RANGE)  # without a script, nothing is gathered for one
    offer_ = offer(plain, mac(1), hostname="box")
    req = packet(
        MessageType.DHCPREQUEST, mac(1), requested=offer_.yiaddr, server=SERVER, hostname="box"
    )
    (change,) = [e for e in feed(plain, req) if isinstance(e, LeaseChanged)]
    assert change.info is None
