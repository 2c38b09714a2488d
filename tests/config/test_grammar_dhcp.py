"""DHCP grammars: MAC patterns, --dhcp-range, --dhcp-host, boot/PXE and plumbing options.

Accept/reject decisions were checked against `dnsmasq --test` (2.90); the last tests parse
every DHCP/PXE example of dnsmasq.conf.example (tests/data copy).
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, IPv6Interface
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.config.grammar.dhcp import (
    BridgeInterface,
    Dhcp4Range,
    Dhcp6Range,
    DhcpBoot,
    DhcpDuid,
    DhcpHost,
    DhcpRelay,
    MacPattern,
    PxePrompt,
    PxeService,
    RaParam,
    ReplyDelay,
    SharedNetwork,
    TftpRoot,
    alternate_port,
    bridge_interface,
    dhcp_boot,
    dhcp_duid,
    dhcp_host,
    dhcp_proxy,
    dhcp_pxe_vendor,
    dhcp_range,
    dhcp_relay,
    parse_mac,
    port_range,
    pxe_prompt,
    pxe_service,
    ra_param,
    reply_delay,
    shared_network,
    tftp_root,
)
from lanctl.config.grammar.dhcp_option import dhcp_option, dhcp_option_force
from lanctl.config.grammar.tags import (
    TagRef,
    dhcp_mac,
    dhcp_match,
    dhcp_name_match,
    tag_list,
    tag_match,
)
from lanctl.errors import ConfigError, Where

W = Where("test.conf", 3, "dhcp-x")
V4 = IPv4Address
V6 = IPv6Address


def _rejects(parser: Callable[[str, Where], object], raw: str, message: str | None = None) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parser(raw, W)
    assert info.value.where is W


# --- MAC patterns -------------------------------------------------------------------------


def test_mac_plain_and_matching() -> None:
    mac = parse_mac("11:22:33:44:55:66")
    assert mac == MacPattern(None, bytes.fromhex("112233445566"), bytes(6))
    assert mac.matches(1, bytes.fromhex("112233445566"))
    assert mac.matches(6, bytes.fromhex("112233445566"))  # no type: any hardware type
    assert not mac.matches(1, bytes.fromhex("112233445567"))
    assert not mac.matches(1, bytes.fromhex("11223344556677"))  # length must agree


def test_mac_wildcards_and_hwtype() -> None:
    mac = parse_mac("1-11:22:33:*:*:*")
    assert mac.hwtype == 1 and mac.wildcard_mask == b"\x00\x00\x00\xff\xff\xff"
    assert mac.matches(1, bytes.fromhex("112233abcdef"))
    assert not mac.matches(6, bytes.fromhex("112233abcdef"))
    assert str(mac) == "01-11:22:33:*:*:*"


def test_mac_arbitrary_lengths() -> None:
    assert parse_mac("1:2").octets == b"\x01\x02"
    assert len(parse_mac(":".join(["ab"] * 16)).octets) == 16


@pytest.mark.parametrize("text", ["zz:zz", "11:2*:33", "x-11:22", "11:22:33:44:55:6g", ""])
def test_mac_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="bad hex constant") as info:
        parse_mac(text, W)
    assert info.value.where is W


# --- dhcp-range v4 ------------------------------------------------------------------------


def test_range4_basic_with_lease() -> None:
    r = dhcp_range("192.168.0.50,192.168.0.150,12h", W)
    assert r == Dhcp4Range(V4("192.168.0.50"), V4("192.168.0.150"), lease=43200, lease_given=True)


def test_range4_default_lease_and_swap() -> None:
    r = dhcp_range("192.168.0.150,192.168.0.50", W)
    assert isinstance(r, Dhcp4Range)
    assert (r.start, r.end, r.lease, r.lease_given) == (
        V4("192.168.0.50"),
        V4("192.168.0.150"),
        3600,
        False,
    )


def test_range4_netmask_broadcast_lease() -> None:
    r = dhcp_range("192.168.0.50,192.168.0.150,255.255.255.0,192.168.0.255,1d", W)
    assert isinstance(r, Dhcp4Range)
    assert (r.netmask, r.broadcast, r.lease) == (V4("255.255.255.0"), V4("192.168.0.255"), 86400)


@pytest.mark.parametrize(
    ("lease", "seconds"),
    [
        ("30", 120),
        ("0", 120),
        ("5m", 300),
        ("1w", 604800),
        ("2W", 1209600),
        ("12H", 43200),
        ("infinite", 0xFFFFFFFF),
        ("01h", 3600),
        ("h", 120),
    ],
)
def test_range4_lease_forms_and_minimum(lease: str, seconds: int) -> None:
    r = dhcp_range(f"192.168.0.1,192.168.0.9,{lease}", W)
    assert r.lease == seconds


def test_range4_static_and_proxy_modes() -> None:
    s = dhcp_range("192.168.0.0,static", W)
    assert isinstance(s, Dhcp4Range) and s.mode == "static" and s.end == s.start
    p = dhcp_range("192.168.0.50,proxy,255.255.255.0", W)
    assert isinstance(p, Dhcp4Range) and p.mode == "proxy" and p.netmask == V4("255.255.255.0")
    assert dhcp_range("192.168.0.1,proxy,12h", W).lease == 43200


def test_range4_tags() -> None:
    r = dhcp_range("tag:a,tag:!b,set:c,192.168.0.1,192.168.0.2", W)
    assert (r.set_tag, r.match_tags) == ("c", (TagRef("a"), TagRef("b", True)))
    assert dhcp_range("set:red,192.168.0.50,192.168.0.150", W).set_tag == "red"
    assert dhcp_range("x,192.168.0.1,192.168.0.2", W).set_tag == "x"  # legacy bare tag
    legacy = dhcp_range("net:a,set:b,192.168.0.1,192.168.0.2", W)
    assert (legacy.set_tag, legacy.match_tags) == ("b", (TagRef("a"),))  # net: matches


def test_range4_deprecated_keeps_default_lease() -> None:
    r = dhcp_range("192.168.0.1,192.168.0.9,deprecated", W)
    assert r.deprecated and r.lease == 3600


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("192.168.0.50,foo", "bad dhcp-range"),
        ("set:a,set:b,192.168.0.1,192.168.0.2", "only one tag allowed"),
        ("192.168.0.1,1234::1", "bad dhcp-range"),
        ("192.168.0.1", "bad dhcp-range"),
        ("192.168.0.1,192.168.0.9,255.255.0.255", "inconsistent DHCP range"),
        ("192.168.0.1,192.168.1.9,255.255.255.0", "inconsistent DHCP range"),
        ("192.168.0.1,192.168.0.9,12x", "bad dhcp-range"),
        ("192.168.0.1,192.168.0.9,1.5h", "bad dhcp-range"),
        ("192.168.0.1,192.168.0.9,255.255.255.0,12h,foo", "bad dhcp-range"),
        ("192.168.0.1,192.168.0.9,12h,255.255.255.0", "bad dhcp-range"),
        ("a,b", "bad dhcp-range"),
        ("ab,192.168.0.1,192.168.0.2", "bad dhcp-range"),
        ("192.168.0.1,192.168.0.9,static", "bad dhcp-range"),
        ("192.168.0.1,192.168.0.9,proxy", "bad dhcp-range"),
        ("1.2.3.4,1.2.3.5,-5", "bad dhcp-range"),
        ("1.2.3.4,1.2.3.5,INFINITE", "bad dhcp-range"),
        ("1.2.3.4,1.2.3.5,1.2.3,1h", "bad dhcp-range"),
        ("", "bad dhcp-range"),
    ],
)
def test_range_rejects(raw: str, message: str) -> None:
    _rejects(dhcp_range, raw, message)


# --- dhcp-range v6 ------------------------------------------------------------------------


def test_range6_with_prefix_and_lease() -> None:
    r = dhcp_range("1234::2, 1234::500, 64, 12h", W)
    assert r == Dhcp6Range(V6("1234::2"), V6("1234::500"), lease=43200, lease_given=True)


def test_range6_default_lease_is_a_day() -> None:
    r = dhcp_range("1234::2,1234::500", W)
    assert isinstance(r, Dhcp6Range) and r.lease == 86400 and r.prefix_len == 64


@pytest.mark.parametrize(
    ("raw", "modes"),
    [
        ("1234::, ra-only", {"ra-only"}),
        ("1234::, ra-names", {"ra-names"}),
        ("1234::2, 1234::500, slaac", {"slaac"}),
        ("1234::, ra-stateless, ra-names", {"ra-stateless", "ra-names"}),
        ("1234::2,1234::500,slaac,ra-names,off-link,ra-advrouter,64,1h", None),
        ("::,static", {"static"}),
    ],
)
def test_range6_modes(raw: str, modes: set[str] | None) -> None:
    r = dhcp_range(raw, W)
    assert isinstance(r, Dhcp6Range)
    if modes is not None:
        assert r.modes == frozenset(modes)
    else:
        assert r.modes == {"slaac", "ra-names", "off-link", "ra-advrouter"} and r.lease == 3600


def test_range6_ra_only_with_lease() -> None:
    r = dhcp_range("1234::, ra-only, 48h", W)
    assert isinstance(r, Dhcp6Range) and r.end is None and r.lease == 172800


def test_range6_constructor() -> None:
    r = dhcp_range("::1,::400,constructor:eth0", W)
    assert isinstance(r, Dhcp6Range)
    assert (r.start, r.end, r.constructor) == (V6("::1"), V6("::400"), "eth0")
    s = dhcp_range("::,constructor:eth*,ra-stateless,ra-names", W)
    assert isinstance(s, Dhcp6Range) and s.constructor == "eth*" and s.end is None


def test_range6_number_above_128_is_a_lease() -> None:
    r = dhcp_range("1234::2,1234::500,129", W)
    assert isinstance(r, Dhcp6Range) and r.prefix_len == 64 and r.lease == 129


def test_range6_catch_all_has_prefix_zero() -> None:
    r = dhcp_range("::,static", W)
    assert isinstance(r, Dhcp6Range) and r.prefix_len == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1234::2,1234::500,48", "prefix length must be at least 64"),
        ("1234::1,1234::2,0", "prefix length must be at least 64"),
        ("1234::2,1234::500,128", "inconsistent DHCPv6 range"),
        ("1234::2,1235::500", "inconsistent DHCPv6 range"),
        ("1234::2,1234::500,proxy", "bad dhcp-range"),
        ("1234::2,1234::500,static,slaac,ra-names,off-link,ra-advrouter,64,1h", "bad dhcp-range"),
        ("1234::1,constructor:eth0", "prefix must be zero"),
        ("1234::", "bad dhcp-range"),
        ("1234::2,1234::500,12h,64", "bad dhcp-range"),
        ("1234::2,1234::500,/64", "bad dhcp-range"),
        ("1234::2,1234::500,ra-foo", "bad dhcp-range"),
    ],
)
def test_range6_rejects(raw: str, message: str) -> None:
    _rejects(dhcp_range, raw, message)


# --- dhcp-host ----------------------------------------------------------------------------


def test_host_mac_name_infinite() -> None:
    h = dhcp_host("00:20:e0:3b:13:af,wap,infinite", W)
    assert h == DhcpHost(macs=(parse_mac("00:20:e0:3b:13:af"),), hostname="wap", lease=0xFFFFFFFF)


def test_host_name_and_address() -> None:
    assert dhcp_host("lap,192.168.0.199", W) == DhcpHost(hostname="lap", ipv4=V4("192.168.0.199"))


def test_host_client_ids() -> None:
    assert dhcp_host("id:01:02:02:04,192.168.0.60", W).client_id == b"\x01\x02\x02\x04"
    assert dhcp_host("id:marjorie,192.168.0.60", W).client_id == b"marjorie"
    h = dhcp_host("11:22:33:44:55:66,id:*", W)
    assert h.client_id_any and h.client_id is None and len(h.macs) == 1


def test_host_ipv6_forms() -> None:
    assert dhcp_host("laptop,[1234::56]", W).ipv6 == (IPv6Interface("1234::56/128"),)
    assert dhcp_host("laptop,[::56]", W).ipv6 == (IPv6Interface("::56/128"),)
    h = dhcp_host("laptop,[1234::50/126],[1234::99]", W)
    assert h.ipv6 == (IPv6Interface("1234::50/126"), IPv6Interface("1234::99/128"))
    duid = dhcp_host("id:00:01:00:01:16:d2:83:fc:92:d4:19:e2:d8:b2, fred, [1234::5]", W)
    assert duid.hostname == "fred" and duid.ipv6 == (IPv6Interface("1234::5/128"),)


def test_host_several_macs_wildcards_hwtype() -> None:
    h = dhcp_host("11:22:33:44:55:66,12:34:56:78:90:12,192.168.0.2", W)
    assert len(h.macs) == 2 and h.ipv4 == V4("192.168.0.2")
    w = dhcp_host("00:20:e0:3b:13:*,ignore", W)
    assert w.ignore and w.macs[0].has_wildcard
    t = dhcp_host("06-00:20:e0:3b:13:af,1.2.3.4", W)
    assert t.macs[0].hwtype == 6


def test_host_tags_and_leases() -> None:
    h = dhcp_host("a,tag:x,set:y,set:z,45m", W)
    assert h.set_tags == ("y", "z") and h.match_tags == (TagRef("x"),) and h.lease == 2700
    assert dhcp_host("a,60", W).lease == 120  # raised to the two-minute minimum
    assert dhcp_host("a,5S", W).lease == 120
    assert dhcp_host("112233445566", W).lease == 0xFFFFFFFF  # all digits: a (huge) lease


@pytest.mark.parametrize(
    ("raw", "hostname"),
    [
        ("judge", "judge"),
        ("a_b", "a_b"),
        ("ab-", "ab-"),
        ("a.b.c", "a.b.c"),
        ("12x", "12x"),
        ("a.", "a"),
        ("1.2.3", "1.2.3"),
        ("A_", "A_"),
        ("s", "s"),
    ],
)
def test_host_names_like_dnsmasq(raw: str, hostname: str) -> None:
    assert dhcp_host(raw, W).hostname == hostname


def test_host_bare_forms_accepted_like_dnsmasq() -> None:
    assert dhcp_host("", W) == DhcpHost()
    assert dhcp_host("set:a", W).set_tags == ("a",)
    assert dhcp_host("1.2.3.4", W).ipv4 == V4("1.2.3.4")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-ab,1.2.3.4", "bad DHCP host name"),
        ("_a,1.2.3.4", "bad DHCP host name"),
        ("a b", "bad DHCP host name"),
        ("*,1.2.3.4", "bad DHCP host name"),
        ("a" * 64 + ",1.2.3.4", "bad DHCP host name"),
        ("a,[1.2.3.4]", "bad DHCP host name"),
        ("zz:zz,1.2.3.4", "bad hex constant"),
        ("11:2*:33:44:55:66", "bad hex constant"),
        ("x-11:22:33:44:55:66", "bad hex constant"),
        ("id:01:02:0g,1.2.3.4", "bad hex constant"),
        ("a,[1234::1", "bad hex constant"),
        ("laptop,[1234:50/126]", "bad IPv6 address"),
        ("a,[1234::1/129]", "bad IPv6 prefix"),
        ("a,[1234::1/x]", "bad IPv6 prefix"),
    ],
)
def test_host_rejects(raw: str, message: str) -> None:
    _rejects(dhcp_host, raw, message)


# --- boot and PXE -------------------------------------------------------------------------


def test_dhcp_boot_forms() -> None:
    assert dhcp_boot("pxelinux.0", W) == DhcpBoot((), "pxelinux.0")
    assert dhcp_boot("pxelinux,server.name,192.168.1.100", W) == DhcpBoot(
        (), "pxelinux", "server.name", V4("192.168.1.100")
    )
    named = dhcp_boot("/var/ftpd/pxelinux.0,boothost,tftp_server_name", W)
    assert named.tftp_servername == "tftp_server_name" and named.server_address is None
    tagged = dhcp_boot("tag:ipxe,http://boot.ipxe.org/demo/boot.php", W)
    assert tagged.tags == (TagRef("ipxe"),) and tagged.filename.startswith("http://")
    assert dhcp_boot("f,,1.2.3.4", W).servername is None


@pytest.mark.parametrize("raw", ["tag:a", "", "f,s,1.2.3.4,x"])
def test_dhcp_boot_rejects(raw: str) -> None:
    _rejects(dhcp_boot, raw, "bad dhcp-boot")


def test_pxe_service_forms() -> None:
    local = pxe_service('x86PC, "Boot from local disk"', W)
    assert local == PxeService((), "x86PC", 0, "Boot from local disk")
    linux = pxe_service('x86PC, "Install Linux", pxelinux, 1.2.3.4', W)
    assert (linux.basename, linux.server) == ("pxelinux", "1.2.3.4")
    ris = pxe_service('x86PC, "Install windows from RIS server", 1', W)
    assert (ris.boot_type, ris.basename) == (1, None)
    efi = pxe_service('tag:a,X86-64_EFI,"menu, with comma",f', W)
    assert (efi.tags, efi.csa_code, efi.menu_text) == ((TagRef("a"),), 9, "menu, with comma")
    assert pxe_service('7,"m"', W).csa_code == 7
    assert pxe_service('x86pc,"m"', W).csa_code == 0


@pytest.mark.parametrize("raw", ['BC_EPC,"m"', 'foo,"m"', "x86PC", 'x86PC,"m",f,1.2.3.4,x'])
def test_pxe_service_rejects(raw: str) -> None:
    _rejects(pxe_service, raw, "bad pxe-service")


def test_pxe_prompt() -> None:
    assert pxe_prompt('"What system shall I netboot?"', W) == PxePrompt(
        (), "What system shall I netboot?"
    )
    assert pxe_prompt('"Press F8 for menu.", 60', W).timeout == 60
    assert pxe_prompt('tag:a,"p",0', W) == PxePrompt((TagRef("a"),), "p", 0)


@pytest.mark.parametrize("raw", ["tag:a", "p,x", "p,256", "p,1,2"])
def test_pxe_prompt_rejects(raw: str) -> None:
    _rejects(pxe_prompt, raw, "bad pxe-prompt")


def test_reply_delay_and_pxe_vendor() -> None:
    assert reply_delay("5", W) == ReplyDelay((), 5)
    assert reply_delay("tag:a,tag:b,5", W) == ReplyDelay((TagRef("a"), TagRef("b")), 5)
    for bad in ("x", "5s", "-1", ""):
        _rejects(reply_delay, bad, "bad dhcp-reply-delay")
    assert dhcp_pxe_vendor("PXEClient,HW-Client", W) == ("PXEClient", "HW-Client")
    assert dhcp_pxe_vendor("a,,b", W) == ("a", "b")


# --- relays, networks, DUID, ports, RA, TFTP ----------------------------------------------


def test_dhcp_relay() -> None:
    assert dhcp_relay("192.0.2.1,198.51.100.1", W) == DhcpRelay(V4("192.0.2.1"), V4("198.51.100.1"))
    r = dhcp_relay("192.0.2.1,198.51.100.1#1067,eth0", W)
    assert (r.port, r.interface) == (1067, "eth0")
    assert dhcp_relay("192.0.2.1,eth0", W) == DhcpRelay(V4("192.0.2.1"), interface="eth0")
    v6 = dhcp_relay("2001:db8::1,ff05::1:3,eth0", W)
    assert v6.server == V6("ff05::1:3")


@pytest.mark.parametrize(
    "raw", ["192.0.2.1", "x", "192.0.2.1,198.51.100.1#x", "2001:db8::1,198.51.100.1"]
)
def test_dhcp_relay_rejects(raw: str) -> None:
    _rejects(dhcp_relay, raw)


def test_shared_network_and_bridge() -> None:
    assert shared_network("eth0,192.0.2.0", W) == SharedNetwork("eth0", None, V4("192.0.2.0"))
    assert shared_network("192.0.2.1,198.51.100.0", W) == SharedNetwork(
        None, V4("192.0.2.1"), V4("198.51.100.0")
    )
    assert shared_network("eth0,2001:db8::", W).addr == V6("2001:db8::")
    for bad in ("eth0", "eth0,x", "192.0.2.1,2001:db8::"):
        _rejects(shared_network, bad, "bad shared-network")
    assert bridge_interface("br0,tap*,a", W) == BridgeInterface("br0", ("tap*", "a"))
    _rejects(bridge_interface, "br0", "bad bridge-interface")


def test_dhcp_duid() -> None:
    assert dhcp_duid("1234,01:02:03", W) == DhcpDuid(1234, b"\x01\x02\x03")
    assert dhcp_duid("1234,0102", W) == DhcpDuid(1234, b"\x01\x02")
    for bad in ("1234", "x,01:02", "1234,zz"):  # dnsmasq 2.90 segfaults on the last one
        _rejects(dhcp_duid, bad, "bad DUID")


def test_alternate_port_and_proxy() -> None:
    assert alternate_port("", W) == (1067, 1068)
    assert alternate_port("1067", W) == (1067, 1068)
    assert alternate_port("1067,2068", W) == (1067, 2068)
    for bad in ("x", "70000", "1,2,3"):
        _rejects(alternate_port, bad, "invalid port number")
    assert dhcp_proxy("", W) == ()
    assert dhcp_proxy("192.0.2.1,192.0.2.2", W) == (V4("192.0.2.1"), V4("192.0.2.2"))
    for bad in ("x", "2001:db8::1"):
        _rejects(dhcp_proxy, bad, "bad dhcp-proxy address")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eth0", RaParam("eth0")),
        ("eth0,60", RaParam("eth0", interval=60)),
        ("eth0,0,0", RaParam("eth0", interval=0, lifetime=0)),
        ("eth0,high,60", RaParam("eth0", priority="high", interval=60)),
        ("eth0,mtu:1280,low,60,1200", RaParam("eth0", 1280, "low", 60, 1200)),
        ("eth0,mtu:off,60", RaParam("eth0", "off", None, 60)),
        ("eth0,mtu:wan0,60", RaParam("eth0", "wan0", None, 60)),
    ],
)
def test_ra_param(raw: str, expected: RaParam) -> None:
    assert ra_param(raw, W) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "eth0,high",
        "eth0,x",
        "eth0,60,x",
        "eth0,60,1200,5",
        "eth0,mtu:1280",
        "eth0,medium,60",
        "eth0,mtu:100,60",
        "eth0,mtu:1280,high",
        ",60",
    ],
)
def test_ra_param_rejects(raw: str) -> None:
    _rejects(ra_param, raw, "bad RA-params")


def test_tftp_root_and_port_range() -> None:
    assert tftp_root("/var/ftpd", W) == TftpRoot("/var/ftpd")
    assert tftp_root("/var/ftpd,eth0", W) == TftpRoot("/var/ftpd", "eth0")
    for bad in ("", "/a,", "/a,b,c"):
        _rejects(tftp_root, bad, "bad tftp-root")
    assert port_range("1025,2000", W) == (1025, 2000)
    assert port_range("2000,1025", W) == (1025, 2000)
    for bad in ("10", "x,10", "1,70000", "0,10"):
        _rejects(port_range, bad, "bad port range")


# --- property: never anything but ConfigError ----------------------------------------------

PARSERS: tuple[Callable[[str, Where], object], ...] = (
    dhcp_range,
    dhcp_host,
    dhcp_boot,
    pxe_service,
    pxe_prompt,
    reply_delay,
    dhcp_relay,
    shared_network,
    bridge_interface,
    dhcp_duid,
    alternate_port,
    dhcp_proxy,
    ra_param,
    tftp_root,
    port_range,
    dhcp_pxe_vendor,
)


@given(st.text(max_size=80))
def test_random_text_returns_or_raises_config_error(raw: str) -> None:
    for parser in PARSERS:
        try:
            parser(raw, W)
        except ConfigError as exc:
            assert exc.where is W


_PIECES = ["192.168.0.1", "1234::1", "::", "[::1]", "64", "12h", "set:a", "tag:!b", "static"]
_PIECES += ["proxy", "ra-only", "constructor:eth0", "11:22:*", "id:*", "x", '"q,r"', "", "1"]


@given(st.lists(st.sampled_from(_PIECES), max_size=9))
def test_random_field_soup_returns_or_raises_config_error(parts: list[str]) -> None:
    raw = ",".join(parts)
    for parser in PARSERS:
        try:
            parser(raw, W)
        except ConfigError as exc:
            assert exc.where is W


# --- every DHCP example of dnsmasq.conf.example parses ------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "dnsmasq.conf.example"

GRAMMARS: dict[str, Callable[[str, Where], object]] = {
    "dhcp-range": dhcp_range,
    "dhcp-host": dhcp_host,
    "dhcp-ignore": tag_list,
    "dhcp-ignore-names": tag_list,
    "dhcp-vendorclass": tag_match,
    "dhcp-userclass": tag_match,
    "dhcp-mac": dhcp_mac,
    "dhcp-match": dhcp_match,
    "dhcp-name-match": dhcp_name_match,
    "dhcp-option": dhcp_option,
    "dhcp-option-force": dhcp_option_force,
    "dhcp-boot": dhcp_boot,
    "pxe-prompt": pxe_prompt,
    "pxe-service": pxe_service,
    "tftp-root": tftp_root,
}
# Scalar dhcp-* options whose grammar lives in grammar/basic.py (not this module's job).
OTHER_GRAMMARS = {"dhcp-lease-max", "dhcp-leasefile", "dhcp-authoritative"}
OTHER_GRAMMARS |= {"dhcp-rapid-commit", "dhcp-script"}


def _strip_comment(line: str) -> str:
    """Drop a '#' comment that follows whitespace outside quotes (dnsmasq's reader rule)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted and i > 0 and line[i - 1].isspace():
            return line[:i].rstrip()
    return line.rstrip()


def _examples() -> list[tuple[int, str, str]]:
    out = []
    for number, line in enumerate(EXAMPLE.read_text().splitlines(), 1):
        body = line[1:] if line.startswith("#") else ""
        if not body.startswith(("dhcp-", "pxe-", "tftp-root")):
            continue
        name, _, value = _strip_comment(body).partition("=")
        out.append((number, name.strip(), value.strip()))
    return out


def test_example_file_has_the_dhcp_examples() -> None:
    names = {name for _, name, _ in _examples()}
    assert {"dhcp-range", "dhcp-host", "dhcp-option", "pxe-service"} <= names
    assert names <= set(GRAMMARS) | OTHER_GRAMMARS, names - set(GRAMMARS) - OTHER_GRAMMARS
    assert len(_examples()) == 93  # the copy in tests/data: 93 DHCP/PXE example lines


@pytest.mark.parametrize(("number", "name", "value"), [e for e in _examples() if e[1] in GRAMMARS])
def test_every_example_line_parses(number: int, name: str, value: str) -> None:
    where = Where(str(EXAMPLE), number, name)
    GRAMMARS[name](value, where)
