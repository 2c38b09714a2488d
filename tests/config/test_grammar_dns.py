"""Tests for lanctl.config.grammar.dns (with dns_records and dns_auth re-exported).

Accept/refuse decisions were checked against `dnsmasq --test` (dnsmasq 2.90).
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.config.grammar import dns as g
from lanctl.errors import ConfigError, Where

W = Where("/etc/dnsmasq.conf", 12, "test")
A = IPv4Address("192.0.2.1")


def bad(parse: Callable[[str, Where], object], raw: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(raw, W)
    assert info.value.where is W
    return info.value


# --- --server / --local ------------------------------------------------------------------

S = g.ServerSpec


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("192.0.2.1", S((), A)),
        ("192.0.2.1#5353", S((), A, 5353)),
        ("/example.com/192.0.2.1", S(("example.com",), A)),
        ("/a.example/b.example/192.0.2.1#53@eth0", S(("a.example", "b.example"), A, 53, "eth0")),
        ("/example.com/", S(("example.com",))),
        ("//192.0.2.1", S(("",), A)),
        ("/*.Example.COM/192.0.2.1", S(("*.example.com",), A)),
        ("/*example.com/192.0.2.1", S(("*example.com",), A)),
        ("/.example.com/192.0.2.1", S(("example.com",), A)),
        ("/./192.0.2.1", S((".",), A)),
        ("/example.com/#", S(("example.com",), use_standard=True)),
        ("#", S((), use_standard=True)),
        ("", S(())),
        (
            "192.0.2.1@198.51.100.1#1234",
            S((), A, source=IPv4Address("198.51.100.1"), source_port=1234),
        ),
        ("192.0.2.1@eth0", S((), A, interface="eth0")),
        ("192.0.2.1@eth0#99", S((), A, interface="eth0", source_port=99)),
        (
            "192.0.2.1@eth0@198.51.100.1#5",
            S((), A, interface="eth0", source=IPv4Address("198.51.100.1"), source_port=5),
        ),
        ("192.0.2.1#53@eth0", S((), A, interface="eth0")),
        ("192.0.2.1@", S((), A)),
        ("fe80::1%eth0", S((), IPv6Address("fe80::1%eth0"))),
        (
            "2001:db8::1@2001:db8::2#99",
            S((), IPv6Address("2001:db8::1"), source=IPv6Address("2001:db8::2"), source_port=99),
        ),
        ("dns.Example.net", S((), "dns.example.net")),
        ("192.0.2.1%junk", S((), A)),  # dnsmasq ignores a scope on IPv4
    ],
)
def test_server_spec(raw: str, want: g.ServerSpec) -> None:
    assert g.server_spec(raw, W) == want


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("192.0.2.1#x", "bad port"),
        ("192.0.2.1#70000", "bad port"),
        ("192.0.2.1#53#54", "bad port"),
        ("192.0.2.1@eth0#-1", "bad port"),
        ("192.0.2.1@198.51.100.1@eth0", "interface can only be specified once"),
        ("192.0.2.1@::1", "cannot use IPv4 server address with IPv6 source address"),
        ("::1@192.0.2.1", "cannot use IPv6 server address with IPv4 source address"),
        ("[::1]", "bad address"),
        ("/dom/192.0.2.1,198.51.100.1", "bad address"),
        ("/dom/@eth0", "bad address"),
        ("/dom", 'missing "/"'),
        ("fe80::1%", "bad interface name"),
        (f"/{'a' * 64}.com/192.0.2.1", "bad domain"),
        ("/a\x01b/192.0.2.1", "bad domain"),
    ],
)
def test_server_spec_bad(raw: str, message: str) -> None:
    assert message in bad(g.server_spec, raw).detail


# --- --rev-server ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "zones"),
    [
        ("1.2.3.0/24,192.0.2.1", ("3.2.1.in-addr.arpa",)),
        ("1.2.3.4", ("4.3.2.1.in-addr.arpa",)),
        ("10.0.0.0/8", ("10.in-addr.arpa",)),
        ("1.2.3.0/23", ("2.2.1.in-addr.arpa", "3.2.1.in-addr.arpa")),
        ("1.2.3.0/x", ("0.3.2.1.in-addr.arpa",)),  # dnsmasq: junk prefix -> whole address
        ("2001:db8::/32,::1", ("8.b.d.0.1.0.0.2.ip6.arpa",)),
        ("2001:db8::/31", ("8.b.d.0.1.0.0.2.ip6.arpa", "9.b.d.0.1.0.0.2.ip6.arpa")),
    ],
)
def test_rev_server_zones(raw: str, zones: tuple[str, ...]) -> None:
    assert g.rev_server(raw, W).domains == zones


def test_rev_server_server_part() -> None:
    spec = g.rev_server("1.2.3.0/24,192.0.2.1#54@eth0", W)
    assert (spec.address, spec.port, spec.interface) == (A, 54, "eth0")
    assert g.rev_server("1.2.3.0/24", W).address is None
    assert g.rev_server("1.2.3.0/24,#", W).use_standard
    assert len(g.rev_server("2001:db8::/33", W).domains) == 8


@pytest.mark.parametrize(
    "raw",
    ["1.2.3.0/0,192.0.2.1", "1.2.3.0/33", "2001:db8::/129,::1", "foo/24,192.0.2.1", "1.2.3.0/24,"],
)
def test_rev_server_bad(raw: str) -> None:
    bad(g.rev_server, raw)


# --- --address, domain lists, sets --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("/example.com/192.0.2.1", g.AddressSpec(("example.com",), A)),
        ("/example.com/", g.AddressSpec(("example.com",))),
        ("/example.com/#", g.AddressSpec(("example.com",), None, True)),
        ("/example.com/::", g.AddressSpec(("example.com",), IPv6Address("::"))),
        ("/#/192.0.2.1", g.AddressSpec((), A)),
        ("192.0.2.1", g.AddressSpec((), A)),
        ("//192.0.2.1", g.AddressSpec(("",), A)),
        ("/a.example/b.example/192.0.2.1", g.AddressSpec(("a.example", "b.example"), A)),
    ],
)
def test_address_spec(raw: str, want: g.AddressSpec) -> None:
    assert g.address_spec(raw, W) == want


@pytest.mark.parametrize("raw", ["/dom/192.0.2.1#53", "/dom/localhost", "/dom/fe80::1%eth0"])
def test_address_spec_bad(raw: str) -> None:
    assert bad(g.address_spec, raw).detail == "Bad address in --address"


def test_domain_list() -> None:
    assert g.domain_list("/a.example/B.example/", W) == ("a.example", "b.example")
    assert g.domain_list("a.example", W) == ("a.example",)
    bad(g.domain_list, f"/{'x' * 64}/")


def test_ipset_and_nftset() -> None:
    assert g.ipset_spec("/a.example/#/set1,set2", W) == g.DomainSets(
        ("a.example", ""), ("set1", "set2")
    )
    assert g.ipset_spec("set1", W) == g.DomainSets(("",), ("set1",))
    spec = g.nftset_spec("/a.example/4#inet#filter#allow,6#inet#filter#allow6", W)
    assert spec.sets == ("4#inet#filter#allow", "6#inet#filter#allow6")
    assert g.nftset_spec("/a.example/filter#allow", W).sets == ("filter#allow",)


@pytest.mark.parametrize("raw", ["/a.example/", "/a.example/,", "", "/#"])
def test_ipset_bad(raw: str) -> None:
    bad(g.ipset_spec, raw)


@pytest.mark.parametrize("raw", ["/a.example/", "/a.example/,", "/a.example"])
def test_nftset_bad(raw: str) -> None:
    bad(g.nftset_spec, raw)


# --- --alias, --domain ------------------------------------------------------------------------


def test_alias_spec() -> None:
    a = g.alias_spec("1.2.3.0,6.7.8.0,255.255.255.0", W)
    assert a == g.Alias(
        IPv4Address("1.2.3.0"), None, IPv4Address("6.7.8.0"), IPv4Address("255.255.255.0")
    )
    r = g.alias_spec("192.168.0.10-192.168.0.40,10.0.0.0,255.255.255.0", W)
    assert (r.old_start, r.old_end) == (IPv4Address("192.168.0.10"), IPv4Address("192.168.0.40"))


@pytest.mark.parametrize(
    "raw",
    [
        "1.2.3.4",
        "1.2.3.4,bogus",
        "192.168.0.40-192.168.0.10,10.0.0.0",
        "192.168.0.10-192.168.1.1,10.0.0.0,255.255.255.0",
    ],
)
def test_alias_bad(raw: str) -> None:
    bad(g.alias_spec, raw)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("example.com", g.DomainSpec("example.com")),
        ("#", g.DomainSpec("#")),
        ("example.com,192.168.0.0/24", g.DomainSpec("example.com", ip_network("192.168.0.0/24"))),
        (
            "example.com,192.168.0.0/24,local",
            g.DomainSpec("example.com", ip_network("192.168.0.0/24"), local=True),
        ),
        (
            "example.com,192.168.0.1,192.168.0.9",
            g.DomainSpec(
                "example.com", start=ip_address("192.168.0.1"), end=ip_address("192.168.0.9")
            ),
        ),
        (
            "example.com,192.168.0.1",
            g.DomainSpec(
                "example.com", start=ip_address("192.168.0.1"), end=ip_address("192.168.0.1")
            ),
        ),
        ("example.com,eth0", g.DomainSpec("example.com", interface="eth0")),
    ],
)
def test_domain_spec(raw: str, want: g.DomainSpec) -> None:
    assert g.domain_spec(raw, W) == want


@pytest.mark.parametrize(
    "raw",
    [
        "example.com,192.168.0.0/24,foo",
        "example.com,192.168.0.0/33",
        "example.com,192.168.0.1,junk",
    ],
)
def test_domain_spec_bad(raw: str) -> None:
    bad(g.domain_spec, raw)


# --- records ----------------------------------------------------------------------------------


def test_mx_host() -> None:
    assert g.mx_host("mail.example", W) == g.MxHost("mail.example", None, 1)
    assert g.mx_host("example.com,mx.example.com", W) == g.MxHost(
        "example.com", "mx.example.com", 1
    )
    assert g.mx_host("example.com,mx.example.com,5", W) == g.MxHost(
        "example.com", "mx.example.com", 5
    )
    assert g.mx_host("example.com,5", W).target == "5"  # dnsmasq: 2nd field is the target
    assert g.mx_target("mx.example.com.", W) == "mx.example.com"


@pytest.mark.parametrize("raw", ["a.b,c.d,x", "a.b,c.d,70000", "a.b,c.d,-1", "a.b,c.d,5,6"])
def test_mx_host_bad(raw: str) -> None:
    assert bad(g.mx_host, raw).detail == "bad MX preference"


def test_mx_target_bad() -> None:
    assert bad(g.mx_target, "a\tb").detail == "bad MX target"


def test_srv_host() -> None:
    assert g.srv_host("_ldap._tcp.example.com", W) == g.SrvHost("_ldap._tcp.example.com")
    assert g.srv_host("_ldap._tcp.example.com,ldap.example.com,389,1,2", W) == g.SrvHost(
        "_ldap._tcp.example.com", "ldap.example.com", 389, 1, 2
    )
    assert g.srv_host("_ldap._tcp.example.com,ldap.example.com", W).port == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("_l._tcp.x,h,x", "invalid port number"),
        ("_l._tcp.x,h,70000", "invalid port number"),
        ("_l._tcp.x,h,1,2,3,4", "invalid weight"),
    ],
)
def test_srv_host_bad(raw: str, message: str) -> None:
    assert bad(g.srv_host, raw).detail == message


def test_host_record() -> None:
    r = g.host_record("laptop,laptop.example.com,192.0.2.1,2001:db8::1", W)
    assert r == g.HostRecord(
        ("laptop", "laptop.example.com"), (A,), (IPv6Address("2001:db8::1"),), None
    )
    assert g.host_record("a.example,192.0.2.1,300", W).ttl == 300
    assert g.host_record("300,192.0.2.1,a.example", W).names == ("a.example",)  # any order


@pytest.mark.parametrize(
    "raw", ["a.example", f"{'x' * 64}.example,192.0.2.1", "a.example,192.0.2.1,99999999999"]
)
def test_host_record_bad(raw: str) -> None:
    bad(g.host_record, raw)


def test_txt_record_quoting() -> None:
    assert g.txt_record('a.example,"x,y",z', W) == g.TxtRecord("a.example", ("x,y", "z"))
    assert g.txt_record("a.example", W) == g.TxtRecord("a.example", ("",))
    assert g.txt_record(r'a.example,"say \"hi\"\t"', W).texts == ('say "hi"\t',)
    assert g.txt_record('a.example,"v=spf1 a -all"', W).texts == ("v=spf1 a -all",)
    assert bad(g.txt_record, 'a.example,"unterminated').detail == 'missing "'


def test_ptr_naptr_caa() -> None:
    assert g.ptr_record("1.2.0.192.in-addr.arpa,host.example", W) == g.PtrRecord(
        "1.2.0.192.in-addr.arpa", "host.example"
    )
    assert g.ptr_record("x.example", W) == g.PtrRecord("x.example")
    n = g.naptr_record("a,1,2,U,E2U+sip,!^.*$!sip:x@y!", W)
    assert (n.order, n.preference, n.flags, n.replacement) == (1, 2, "U", None)
    assert g.naptr_record("a,1,2,U,E2U,re,rep.example", W).replacement == "rep.example"
    assert g.caa_record("a.example,0,issue,letsencrypt.org", W) == g.CaaRecord(
        "a.example", 0, "issue", "letsencrypt.org"
    )


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (g.naptr_record, "a,1,2,U,E2U"),
        (g.naptr_record, "a,x,2,U,E2U,re"),
        (g.caa_record, "a.example,x,issue,le"),
        (g.caa_record, "a.example,0,issue"),
    ],
)
def test_records_bad(parse: Callable[[str, Where], object], raw: str) -> None:
    bad(parse, raw)


def test_cname_spec() -> None:
    assert g.cname_spec("a.example,t.example", W) == g.Cname(("a.example",), "t.example")
    assert g.cname_spec("a.example,b.example,t.example,600", W) == g.Cname(
        ("a.example", "b.example"), "t.example", 600
    )
    assert g.cname_spec("a.example,600", W) == g.Cname(
        ("a.example",), "600"
    )  # dnsmasq: 2 items = alias,target
    assert g.cname_spec("*.example.com,default.example.com", W).aliases == ("*.example.com",)


@pytest.mark.parametrize(
    ("raw", "message"), [("a.example", "bad CNAME"), ("a.b,a.b,c", "duplicate CNAME")]
)
def test_cname_bad(raw: str, message: str) -> None:
    assert bad(g.cname_spec, raw).detail == message


def test_dns_rr() -> None:
    assert g.dns_rr("a.example,99,01:23 45 6", W) == g.DnsRR("a.example", 99, b"\x01\x23\x45\x06")
    assert g.dns_rr("a.example,99", W) == g.DnsRR("a.example", 99, b"")
    assert g.dns_rr("a.example,65280,0102ab", W).data == b"\x01\x02\xab"


@pytest.mark.parametrize("raw", ["a.example,x,00", "a.example,99,zz", "a.example"])
def test_dns_rr_bad(raw: str) -> None:
    bad(g.dns_rr, raw)


def test_interface_name_and_dynamic_host() -> None:
    assert g.interface_name("a.example,eth0", W) == g.InterfaceName("a.example", "eth0", None)
    assert g.interface_name("a.example,eth0/6", W).family == 6
    assert g.dynamic_host("a.example,0.0.0.8,eth0", W) == g.DynamicHost(
        "a.example", IPv4Address("0.0.0.8"), None, "eth0"
    )
    d = g.dynamic_host("a.example,0.0.0.8,::8,eth0", W)
    assert d.ipv6 == IPv6Address("::8")


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (g.interface_name, "a.example,eth0/5"),
        (g.interface_name, "a.example"),
        (g.interface_name, "a.example,192.0.2.1,eth0"),
        (g.dynamic_host, "a.example,eth0"),
        (g.dynamic_host, "a.example,0.0.0.8,eth0/4"),
    ],
)
def test_interface_name_bad(parse: Callable[[str, Where], object], raw: str) -> None:
    bad(parse, raw)


def test_synth_domain() -> None:
    s = g.synth_domain("example.com,192.168.0.50,192.168.0.70,internal-*", W)
    assert (s.start, s.end, s.prefix, s.star) == (
        ip_address("192.168.0.50"),
        ip_address("192.168.0.70"),
        "internal-",
        True,
    )
    n = g.synth_domain("example.com,192.168.0.0/24,internal-", W)
    assert (n.network, n.prefix, n.star) == (ip_network("192.168.0.0/24"), "internal-", False)
    assert g.synth_domain("example.com,2001:db8::/64,h-*", W).star
    assert g.synth_domain("example.com,192.168.0.50", W).end == ip_address("192.168.0.50")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("example.com,192.168.0.50,internal-", "bad address"),
        ("example.com,2001:db8::1,2001:db8::9,h-*", "prefix length too small"),
        ("example.com,2001:db8::/48,h-*", "prefix length too small"),
        ("example.com", "synth-domain"),
        ("example.com,192.168.0.0/33", "bad prefix length"),
    ],
)
def test_synth_domain_bad(raw: str, message: str) -> None:
    assert message in bad(g.synth_domain, raw).detail


# --- EDNS, DNSSEC, auth, connmark --------------------------------------------------------------


def test_add_subnet() -> None:
    assert g.add_subnet("", W) == g.AddSubnet(None, 0, None, 0)
    assert g.add_subnet("24,56", W) == g.AddSubnet(None, 24, None, 56)
    assert g.add_subnet("1.2.3.4/24", W) == g.AddSubnet(IPv4Address("1.2.3.4"), 24, None, 0)
    assert g.add_subnet("1.2.3.4/24,::/56", W).v6_addr == IPv6Address("::")
    bad(g.add_subnet, "x")
    bad(g.add_subnet, "bogus/24")


def test_umbrella() -> None:
    assert g.umbrella("", W) == g.Umbrella()
    u = g.umbrella("deviceid:0123456789abcdef,orgid:12,assetid:7", W)
    assert u == g.Umbrella(bytes.fromhex("0123456789abcdef"), 12, 7)
    for raw in ["orgid:x", "foo:1", "deviceid:0123"]:
        bad(g.umbrella, raw)


DIGEST = "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"


def test_trust_anchor() -> None:
    t = g.trust_anchor(f".,20326,8,2,{DIGEST}", W)
    assert t == g.TrustAnchor("IN", ".", 20326, 8, 2, bytes.fromhex(DIGEST))
    assert g.trust_anchor(f".,IN,20326,8,2,{DIGEST}", W).klass == "IN"
    assert g.trust_anchor(".,20326,8,2,E0:6D 44", W).digest == b"\xe0\x6d\x44"


@pytest.mark.parametrize(
    "raw", [f"IN,.,20326,8,2,{DIGEST}", ".,20326,8,2,XYZ", ".,20326,8,2", f".,20326,300,2,{DIGEST}"]
)
def test_trust_anchor_bad(raw: str) -> None:
    bad(g.trust_anchor, raw)


def test_auth_zone_soa_server() -> None:
    z = g.auth_zone("our.zone.com,1.2.3.0/24,2001:db8::,eth0/6,exclude:10.0.0.0/8", W)
    assert z.subnets == (ip_network("1.2.3.0/24"), ip_network("2001:db8::/64"))
    assert z.exclude == (ip_network("10.0.0.0/8"),)
    assert z.interfaces == (("eth0", 6),)
    assert g.auth_zone("our.zone.com,1.2.3.4", W).subnets == (ip_network("1.2.3.0/24"),)
    assert g.auth_soa("1234,admin@example.com", W) == g.AuthSoa(1234, "admin.example.com")
    assert g.auth_soa("1,h,2,3,4", W) == g.AuthSoa(1, "h", 2, 3, 4)
    s = g.auth_server("server.example.com,eth0,192.0.2.1", W)
    assert (s.domain, s.interfaces, s.addresses) == ("server.example.com", (("eth0", None),), (A,))


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (g.auth_zone, "z.example,1.2.3.0/x"),
        (g.auth_zone, "z.example,eth0/5"),
        (g.auth_zone, "z.example,1.2.3.0/40"),
        (g.auth_soa, "x"),
        (g.auth_soa, "1,h,2,3,4,5"),
        (g.auth_server, "s.example,eth0/7"),
    ],
)
def test_auth_bad(parse: Callable[[str, Where], object], raw: str) -> None:
    bad(parse, raw)


def test_connmark() -> None:
    c = g.connmark_allowlist("1/255,*.example.com/api.example.org", W)
    assert c == g.ConnmarkAllowlist(1, 255, ("*.example.com", "api.example.org"))
    assert g.connmark_allowlist("5", W) == g.ConnmarkAllowlist(5, None, ())
    assert g.connmark_allowlist("5,*", W).patterns == ("*",)
    assert g.connmark_mask("", W) is None
    assert g.connmark_mask("255", W) == 255


@pytest.mark.parametrize(
    "raw", ["0", "x", "1/0", "3/1", "1,example", "1,a.*", "1,a.local", "1,a.123", "1,***.a.b"]
)
def test_connmark_bad(raw: str) -> None:
    bad(g.connmark_allowlist, raw)


# --- P11: never anything but ConfigError -------------------------------------------------------

PARSERS: list[Callable[[str, Where], object]] = [
    g.server_spec,
    g.rev_server,
    g.address_spec,
    g.domain_list,
    g.ipset_spec,
    g.nftset_spec,
    g.alias_spec,
    g.domain_spec,
    g.mx_host,
    g.mx_target,
    g.srv_host,
    g.host_record,
    g.txt_record,
    g.ptr_record,
    g.naptr_record,
    g.caa_record,
    g.cname_spec,
    g.dns_rr,
    g.interface_name,
    g.dynamic_host,
    g.synth_domain,
    g.add_subnet,
    g.umbrella,
    g.trust_anchor,
    g.auth_zone,
    g.auth_soa,
    g.auth_server,
    g.connmark_allowlist,
    g.connmark_mask,
]

_ALPHABET = st.sampled_from([*'0123456789abcdefx:./,#@%*"\\ -_IN/', "\x00", "é", "ß"])


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@given(raw=st.one_of(st.text(), st.text(_ALPHABET, max_size=60)))
def test_parsers_raise_only_config_error(parse: Callable[[str, Where], object], raw: str) -> None:
    try:
        parse(raw, W)
    except ConfigError as exc:
        assert exc.where is W
