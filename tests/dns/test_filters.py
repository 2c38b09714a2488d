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


QA = encode_name("x.example") + b"\x00\x01\x00\x01"
QAAAA = encode_name("x.example") + b"\x00\x1c\x00\x01"
QANY = encode_name("x.example") + b"\x00\xff\x00\x01"


def test_filter_a_and_aaaa_act_on_replies() -> None:
    v4, v6 = body("x.example.", "A", "203.0.113.1"), body("x.example.", "AAAA", "2001:db8::1")
    only_a, only_aaaa = (
        Filters(FilterPolicy(filter_a=True)),
        Filters(FilterPolicy(filter_aaaa=True)),
    )
    got = only_a.filtered(QA, v4)
    assert got is not None and got[1] == "NODATA-IPv4"
    assert got[0].counts == (0, 0, 0) and got[0].rcode == Rcode.NOERROR
    assert only_a.filtered(QAAAA, v6) is None
    got = only_aaaa.filtered(QAAAA, v6)
    assert got is not None and got[1] == "NODATA" and got[0].counts[0] == 0  # dnsmasq's word
    assert only_aaaa.filtered(QA, v4) is None


def any_body() -> Body:
    r = dns.message.make_response(dns.message.make_query("x.example.", "ANY"))
    for rdtype, value in (("A", "203.0.113.1"), ("AAAA", "2001:db8::1"), ("TXT", '"t"'),
                          ("MX", "10 mx.example."), ("HINFO", '"c" "o"')):  # fmt: skip
        r.answer.append(dns.rrset.from_text("x.example.", 60, "IN", rdtype, value))
    r.additional.append(dns.rrset.from_text("mx.example.", 60, "IN", "A", "203.0.113.9"))
    wire = r.to_wire()
    return parse_body(wire, question_end(wire))


def answer_types(b: Body, section: int = 0) -> list[int]:
    return [r.rtype for r in b.records if r.section == section]


def test_filters_remove_only_their_types_from_any_answers() -> None:
    b = any_body()
    got = Filters(FilterPolicy(filter_a=True)).filtered(QANY, b)
    assert got is not None and got[1] is None  # answers remain: no "config" log word
    assert answer_types(got[0]) == [QType.AAAA, QType.TXT, QType.MX, 13]
    assert answer_types(got[0], 2) == [QType.A]  # the additional section is left alone
    got = Filters(FilterPolicy(filter_rr=frozenset({QType.TXT, 13}))).filtered(QANY, b)
    assert got is not None and answer_types(got[0]) == [QType.A, QType.AAAA, QType.MX]
    # --filter-rr=ANY: replies to ANY keep A, AAAA, MX and CNAME; other questions untouched.
    rule = Filters(FilterPolicy(filter_rr=frozenset({QType.ANY})))
    got = rule.filtered(QANY, b)
    assert got is not None and answer_types(got[0]) == [QType.A, QType.AAAA, QType.MX]
    assert rule.filtered(encode_name("x.example") + b"\x00\x10\x00\x01", b) is None
    assert rule.strips and not Filters(FilterPolicy()).strips


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


def test_emptied_answer_logs_config_line_only_as_dnsmasq() -> None:
    import random

    from lanctl.config.model import DnsCfg
    from lanctl.dns.engine import DnsEngine
    from lanctl.dns.local import LocalData
    from tests.dns.test_forward import query, reply_to, specs

    cfg = DnsCfg(no_resolv=True, server=tuple(specs("198.51.100.53")), filter_a=True,
                 log_queries=True)  # fmt: skip
    e = DnsEngine(cfg, LocalData(), rng=random.Random(0))
    e.on_query(query("www.example", 1), ("192.0.2.250", 1), 0.0, dest="a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, reply_to(send), 0.1)
    assert e.take_logs() == [
        "query[A] www.example from 192.0.2.250",
        "forwarded www.example to 198.51.100.53",
        "config www.example is NODATA-IPv4",
    ]
