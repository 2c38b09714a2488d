"""lanctl.dns.local: precedence of hosts files, host-record and --address, as dnsmasq 2.90."""

from __future__ import annotations

import ipaddress

import pytest

from lanctl.config.grammar import address_spec, domain_spec, host_record, server_spec
from lanctl.config.model import DnsCfg
from lanctl.dns.hosts import parse_hosts
from lanctl.dns.local import LocalData, build_local, reverse_addr, reverse_zones
from lanctl.dns.wire import QType, encode_name
from lanctl.errors import COMMAND_LINE as W

HOSTS = """\
192.0.2.1 host1.example host1
192.0.2.2 shorty
2001:db8::1 host1.example v6only
198.51.100.5 host1.example
203.0.113.7 addrhost.blocked.example
192.0.2.10 dup
192.0.2.10 dup
"""


def make(hosts: str = HOSTS, *, extra_files: tuple[str, ...] = (), **kw: object) -> LocalData:
    cfg = DnsCfg(
        no_hosts=True,
        host_record=tuple(host_record(x, W) for x in kw.pop("records", ())),  # type: ignore[attr-defined]
        address=tuple(address_spec(x, W) for x in kw.pop("addresses", ())),  # type: ignore[attr-defined]
        server=tuple(server_spec(x, W) for x in kw.pop("servers", ())),  # type: ignore[attr-defined]
        domain=tuple(domain_spec(x, W) for x in kw.pop("domains", ())),  # type: ignore[attr-defined]
        **kw,  # type: ignore[arg-type]
    )
    files = [parse_hosts(hosts, "/etc/hosts")]
    files += [parse_hosts(t, f"/extra{i}") for i, t in enumerate(extra_files)]
    return build_local(cfg, files)


def addrs(local: LocalData, name: str, qtype: int) -> list[str] | str | None:
    ans = local.answer(encode_name(name.lower()), qtype)
    if ans is None:
        return None
    if not ans.rrs:
        return ans.what
    out = []
    for rr in ans.rrs:
        if rr.rtype == QType.PTR:
            labels = []
            off = 0
            while rr.rdata[off]:
                labels.append(rr.rdata[off + 1 : off + 1 + rr.rdata[off]].decode())
                off += rr.rdata[off] + 1
            out.append(".".join(labels))
        else:
            out.append(str(ipaddress.ip_address(rr.rdata)))
    return out


def test_hosts_forward_answers() -> None:
    local = make()
    assert addrs(local, "host1.example", QType.A) == ["192.0.2.1", "198.51.100.5"]
    assert addrs(local, "HOST1.example", QType.AAAA) == ["2001:db8::1"]
    assert addrs(local, "host1.example", QType.ANY) == ["192.0.2.1", "198.51.100.5", "2001:db8::1"]
    assert addrs(local, "dup", QType.A) == ["192.0.2.10"]  # exact duplicates dropped


def test_name_without_the_type_is_not_local() -> None:
    local = make()
    assert addrs(local, "v6only", QType.A) is None  # dnsmasq forwards (REFUSED without servers)
    assert addrs(local, "host1.example", QType.MX) is None
    assert addrs(local, "unknown.example", QType.A) is None


def test_ptr_first_name_of_first_line_wins() -> None:
    local = make()
    assert addrs(local, "1.2.0.192.in-addr.arpa", QType.PTR) == ["host1.example"]
    assert addrs(local, "5.100.51.198.in-addr.arpa", QType.PTR) == ["host1.example"]
    v6 = ipaddress.ip_address("2001:db8::1").reverse_pointer
    assert addrs(local, v6, QType.PTR) == ["host1.example"]
    assert addrs(local, "99.2.0.192.in-addr.arpa", QType.PTR) is None


def test_ptr_across_files_and_host_record_first_source_wins() -> None:
    local = make(
        "192.0.2.1 first.example\n198.51.100.23 other.example\n",
        extra_files=("192.0.2.1 second.example\n",),
        records=("hr2.example,198.51.100.23",),
    )
    assert addrs(local, "1.2.0.192.in-addr.arpa", QType.PTR) == ["first.example"]
    assert addrs(local, "23.100.51.198.in-addr.arpa", QType.PTR) == ["hr2.example"]
    assert addrs(local, "other.example", QType.A) == ["198.51.100.23"]


def test_expand_hosts_adds_domain_to_simple_names_and_owns_ptr() -> None:
    local = make(expand_hosts=True, domains=("lan",))
    assert addrs(local, "shorty", QType.A) == ["192.0.2.2"]
    assert addrs(local, "shorty.lan", QType.A) == ["192.0.2.2"]
    assert addrs(local, "host1.lan", QType.A) == ["192.0.2.1"]
    assert addrs(local, "host1.example.lan", QType.A) is None
    assert addrs(local, "2.2.0.192.in-addr.arpa", QType.PTR) == ["shorty.lan"]
    assert addrs(local, "1.2.0.192.in-addr.arpa", QType.PTR) == ["host1.example"]


def test_expand_hosts_uses_the_domain_whose_range_holds_the_address() -> None:
    local = make(expand_hosts=True, domains=("lan", "test.example,198.51.100.0/24"))
    assert addrs(local, "host1.lan", QType.A) == ["192.0.2.1"]
    assert addrs(local, "dup.lan", QType.A) == ["192.0.2.10"]
    local = make(
        "198.51.100.9 box\n", expand_hosts=True, domains=("lan", "t.example,198.51.100.0/24")
    )
    assert addrs(local, "box.t.example", QType.A) == ["198.51.100.9"]
    assert addrs(local, "box.lan", QType.A) is None


def test_host_record_names_are_not_expanded_and_carry_ttl() -> None:
    local = make(
        "", records=("rec.example,rec,198.51.100.1,2001:db8::10", "ttl.example,198.51.100.2,300"),
        expand_hosts=True, domains=("lan",), local_ttl=7,
    )  # fmt: skip
    assert addrs(local, "rec", QType.A) == ["198.51.100.1"]
    assert addrs(local, "rec.lan", QType.A) is None
    ans = local.answer(encode_name("ttl.example"), QType.A)
    assert ans is not None and ans.rrs[0].ttl == 300
    ans = local.answer(encode_name("rec.example"), QType.AAAA)
    assert ans is not None and ans.rrs[0].ttl == 7
    assert addrs(local, "1.100.51.198.in-addr.arpa", QType.PTR) == ["rec.example"]


def test_address_rules_and_precedence() -> None:
    local = make(
        addresses=(
            "/blocked.example/", "/ads.example/203.0.113.1", "/null.example/#",
            "/v6.example/2001:db8::99", "/host1.example/198.51.100.77",
            "/multi.example/192.0.2.50", "/multi.example/192.0.2.51",
        ),
    )  # fmt: skip
    # hosts beat --address for the exact name; subdomains get the rule
    assert addrs(local, "host1.example", QType.A) == ["192.0.2.1", "198.51.100.5"]
    assert addrs(local, "sub.host1.example", QType.A) == ["198.51.100.77"]
    assert addrs(local, "x.ads.example", QType.A) == ["203.0.113.1"]
    assert addrs(local, "x.ads.example", QType.AAAA) is None  # forwarded since 2.86
    assert addrs(local, "null.example", QType.A) == ["0.0.0.0"]
    assert addrs(local, "a.null.example", QType.AAAA) == ["::"]
    assert addrs(local, "v6.example", QType.AAAA) == ["2001:db8::99"]
    assert addrs(local, "multi.example", QType.A) == ["192.0.2.50", "192.0.2.51"]
    # "/dom/": NXDOMAIN, but NODATA for names that exist locally or have local children
    assert addrs(local, "sub.blocked.example", QType.A) == "NXDOMAIN"
    assert addrs(local, "blocked.example", QType.A) == "NODATA-IPv4"
    assert addrs(local, "addrhost.blocked.example", QType.AAAA) == "NODATA-IPv6"
    assert addrs(local, "addrhost.blocked.example", QType.MX) == "NODATA"
    assert addrs(local, "x.addrhost.blocked.example", QType.A) == "NXDOMAIN"
    assert addrs(local, "notblocked.example", QType.A) is None  # whole labels only


def test_local_server_and_address_together_give_nodata() -> None:
    local = make("", addresses=("/combo.example/192.0.2.5",), servers=("/combo.example/",))
    assert addrs(local, "combo.example", QType.A) == ["192.0.2.5"]
    assert addrs(local, "x.combo.example", QType.AAAA) == "NODATA-IPv6"
    assert addrs(local, "x.combo.example", QType.MX) == "NODATA"


def test_catch_all_unqualified_and_wildcard_rules() -> None:
    local = make(
        "", addresses=("/#/198.51.100.9", "//192.0.2.99", "/*ads.example/203.0.113.2",
                       "/sub.ads.example/"),
    )  # fmt: skip
    assert addrs(local, "any.thing", QType.A) == ["198.51.100.9"]
    assert addrs(local, "single", QType.A) == ["192.0.2.99"]
    assert addrs(local, "superads.example", QType.A) == ["203.0.113.2"]
    assert addrs(local, "x.sub.ads.example", QType.A) == "NXDOMAIN"  # exact labels first


def test_domain_local_flag_makes_domain_and_reverse_zone_local() -> None:
    local = make("", domains=("lan.example,192.0.2.0/24,local",))
    assert addrs(local, "x.lan.example", QType.A) == "NXDOMAIN"
    assert addrs(local, "77.2.0.192.in-addr.arpa", QType.PTR) == "NXDOMAIN"


def test_startup_messages() -> None:
    local = make("bogus\n192.0.2.1 a\n", addresses=("/blocked.example/",))
    assert local.messages == [
        "bad address at /etc/hosts line 1",
        "read /etc/hosts - 1 names",
        "using only locally-known addresses for blocked.example",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1.2.0.192.in-addr.arpa", "192.0.2.1"),
        ("01.2.0.192.in-addr.arpa", None),
        ("256.2.0.192.in-addr.arpa", None),
        ("2.0.192.in-addr.arpa", None),
        (ipaddress.ip_address("2001:db8::5").reverse_pointer, "2001:db8::5"),
        ("5.0.8.b.d.0.1.0.0.2.ip6.arpa", None),
        ("example.com", None),
    ],
)
def test_reverse_addr(name: str, expected: str | None) -> None:
    got = reverse_addr(encode_name(name))
    assert (str(ipaddress.ip_address(got)) if got else None) == expected


def test_reverse_zones() -> None:
    assert reverse_zones("192.168.0.0/24") == ["0.168.192.in-addr.arpa"]
    assert reverse_zones("1.2.2.0/23") == ["2.2.1.in-addr.arpa", "3.2.1.in-addr.arpa"]
    assert reverse_zones("2001:db8::/32") == ["8.b.d.0.1.0.0.2.ip6.arpa"]


def test_dump_lists_forward_and_ptr_records() -> None:
    rows = list(make("192.0.2.1 a.example\n").dump())
    assert rows == [
        ("a.example", "A", "192.0.2.1", "/etc/hosts"),
        ("192.0.2.1", "PTR", "a.example", "/etc/hosts"),
    ]


def test_lease_names_answer_after_hosts_and_before_address_rules() -> None:
    from ipaddress import IPv4Address

    from lanctl.store.backend import MemoryBackend
    from lanctl.store.lease import Lease4
    from lanctl.store.names import LeaseNames

    mac = bytes.fromhex("020000000001")
    backend = MemoryBackend(
        [
            Lease4(IPv4Address("192.0.2.60"), mac, hostname="box", expires=10_000),
            Lease4(IPv4Address("192.0.2.61"), mac, hostname="host1", expires=10_000),
        ]
    )
    local = make(addresses=("/lan/192.0.2.250",))
    local.attach_leases(LeaseNames(backend, lambda packed: "lan", 600), now=9_990)
    assert addrs(local, "box.lan", QType.A) == ["192.0.2.60"]  # beats the --address rule
    assert addrs(local, "other.lan", QType.A) == ["192.0.2.250"]
    assert addrs(local, "host1", QType.A) == ["192.0.2.1"]  # hosts wins over the lease
    assert addrs(local, "60.2.0.192.in-addr.arpa", QType.PTR) == ["box.lan"]
    ans = local.answer(encode_name("box.lan"), QType.A)
    assert ans is not None and ans.rrs[0].source == "DHCP" and 0 < ans.rrs[0].ttl <= 600
    assert not local.refresh(9_991)
    backend.release(IPv4Address("192.0.2.60"))
    assert local.refresh(9_992)
    assert addrs(local, "box.lan", QType.A) == ["192.0.2.250"]
    assert ("box.lan", "A", "192.0.2.60", "DHCP") not in list(local.dump())
    assert ("host1.lan", "A", "192.0.2.61", "DHCP") in list(local.dump())
