"""Query filters and the rebinding check."""

from __future__ import annotations

import dns.message
import dns.rrset

from lanctl.dns.filters import FilterPolicy, Filters
from lanctl.dns.reply import Body, parse_body, question_end
from lanctl.dns.wire import QType, Rcode, encode_name


def check(policy: FilterPolicy, name: str, qtype: int) -> tuple[int, str] | None:
    v = Filters(policy).check_query(encode_name(name), qtype)
    return None if v is None else (v.rcode, v.what)


def test_domain_needed() -> None:
    p = FilterPolicy(domain_needed=True)
    assert check(p, "printer", QType.A) == (Rcode.NXDOMAIN, "NXDOMAIN")
    assert check(p, "printer", QType.AAAA) == (Rcode.NXDOMAIN, "NXDOMAIN")
    assert check(p, "printer.lan", QType.A) is None
    assert check(p, "printer", QType.MX) is None
    assert check(FilterPolicy(), "printer", QType.A) is None


def test_bogus_priv_rfc6303_zones() -> None:
    p = FilterPolicy(bogus_priv=True)
    for name in ("4.3.2.10.in-addr.arpa", "1.1.168.192.in-addr.arpa", "1.0.20.172.in-addr.arpa",
                 "1.2.0.192.in-addr.arpa", "1.0.0.0.d.f.ip6.arpa"):  # fmt: skip
        assert check(p, name, QType.PTR) == (Rcode.NXDOMAIN, "NXDOMAIN"), name
    assert check(p, "1.0.32.172.in-addr.arpa", QType.PTR) is None  # 172.32/12 is public
    assert check(p, "8.8.8.8.in-addr.arpa", QType.PTR) is None


def test_filterwin2k_and_filter_a_aaaa() -> None:
    p = FilterPolicy(filterwin2k=True)
    assert check(p, "example.com", QType.SOA) == (Rcode.NOERROR, "NODATA")
    assert check(p, "_ldap._tcp.example.com", QType.SRV) == (Rcode.NOERROR, "NODATA")
    assert check(p, "_ldap.example.com", QType.ANY) == (Rcode.NOERROR, "NODATA")
    assert check(p, "www.example.com", QType.ANY) is None
    assert check(FilterPolicy(filter_aaaa=True), "x.example", QType.AAAA) is None  # forwarded


def test_filter_a_and_aaaa_act_on_replies() -> None:
    v4, v6 = body("x.example.", "A", "203.0.113.1"), body("x.example.", "AAAA", "2001:db8::1")
    assert Filters(FilterPolicy(filter_a=True)).filtered(v4) == "NODATA-IPv4"
    assert Filters(FilterPolicy(filter_a=True)).filtered(v6) is None
    assert Filters(FilterPolicy(filter_aaaa=True)).filtered(v6) == "NODATA-IPv6"
    assert Filters(FilterPolicy(filter_aaaa=True)).filtered(v4) is None


def body(name: str, rdtype: str, *addrs: str) -> Body:
    r = dns.message.make_response(dns.message.make_query(name, rdtype))
    r.answer.append(dns.rrset.from_text(name, 60, "IN", rdtype, *addrs))
    wire = r.to_wire()
    return parse_body(wire, question_end(wire))


def test_rebinding_ranges_and_exemptions() -> None:
    f = Filters(FilterPolicy(stop_rebind=True, rebind_domain_ok=("lan", "*corp.example")))
    q = encode_name("evil.example")
    for rdtype, addr in (("A", "10.1.2.3"), ("A", "192.168.1.1"), ("A", "127.0.0.1"),
                         ("A", "169.254.1.1"), ("AAAA", "fd00::1"), ("AAAA", "::ffff:10.0.0.1"),
                         ("AAAA", "::1"), ("A", "0.0.0.0")):  # fmt: skip
        assert f.rebinding(q, body("evil.example.", rdtype, addr)), addr
    for rdtype, addr in (("A", "8.8.8.8"), ("AAAA", "2606:4700::1")):
        assert not f.rebinding(q, body("evil.example.", rdtype, addr))
    private = body("x.lan.", "A", "10.1.2.3")
    assert not f.rebinding(encode_name("x.lan"), private)
    assert not f.rebinding(encode_name("mycorp.example"), private)
    loop = body("x.example.", "A", "127.0.0.1")
    ok = Filters(FilterPolicy(stop_rebind=True, rebind_localhost_ok=True))
    assert not ok.rebinding(q, loop)
    assert not Filters(FilterPolicy()).rebinding(q, private)


def test_authoritative_bit_as_dnsmasq() -> None:
    def aa(policy: FilterPolicy, name: str, qtype: int) -> bool:
        v = Filters(policy).check_query(encode_name(name), qtype)
        assert v is not None
        return v.aa

    assert not aa(FilterPolicy(domain_needed=True), "printer", QType.A)
    assert aa(FilterPolicy(bogus_priv=True), "1.1.168.192.in-addr.arpa", QType.PTR)
    assert aa(FilterPolicy(filterwin2k=True), "example.com", QType.SOA)
