"""--proxy-dnssec and DO queries without validation (dnsmasq 2.90 on the wire: the AD bit
reaches clients only with --proxy-dnssec and only on forwarded replies; DO queries always go
upstream; a DO reply's data, DNSSEC records removed, serves later plain queries)."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.rrset

from lanctl.dns.forward import Send
from lanctl.dns.resolver import FORWARDED
from tests.dns.test_forward import engine, query


def signed_reply(send: Send) -> bytes:
    q = dns.message.from_wire(send.data)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AD
    r.answer.append(dns.rrset.from_text("www.example.", 300, "IN", "A", "203.0.113.10"))
    if q.ednsflags & dns.flags.DO:
        sig = "A 13 2 300 20300101000000 20200101000000 12345 example. " + "AAAA" * 16
        r.answer.append(dns.rrset.from_text("www.example.", 300, "IN", "RRSIG", sig))
    return r.to_wire()


def do_query(qid: int) -> bytes:
    q = dns.message.make_query("www.example", "A", want_dnssec=True)
    q.id = qid
    return q.to_wire()


def forward_once(e: object, data: bytes, now: float) -> dns.message.Message:
    assert e.on_query(data, ("c", 1), now, dest="a") == FORWARDED  # type: ignore[attr-defined]
    (send,), _, _ = e.take_actions()  # type: ignore[attr-defined]
    e.on_upstream(send.token, signed_reply(send), now)  # type: ignore[attr-defined]
    (_, _, ((_, out),)) = e.take_actions()  # type: ignore[attr-defined]
    return dns.message.from_wire(out)


def test_ad_bit_only_with_proxy_dnssec_and_never_from_the_cache() -> None:
    plain = forward_once(engine(), query("www.example", 1), 0.0)
    assert not plain.flags & dns.flags.AD
    e = engine(proxy_dnssec=True)
    assert forward_once(e, query("www.example", 2), 0.0).flags & dns.flags.AD
    cached = e.on_query(query("www.example", 3), ("c", 1), 1.0)  # fast path
    full = e.on_query(query("www.example", 4, edns=True), ("c", 1), 1.0)
    for data in (cached, full):
        assert data and not dns.message.from_wire(data).flags & dns.flags.AD


def test_do_queries_go_upstream_and_their_data_serves_plain_queries() -> None:
    e = engine(proxy_dnssec=True)
    first = forward_once(e, do_query(1), 0.0)
    assert [r.rdtype for r in first.answer] == [1, 46] and first.flags & dns.flags.AD
    again = forward_once(e, do_query(2), 1.0)  # not from the cache
    assert [r.rdtype for r in again.answer] == [1, 46]
    data = e.on_query(query("www.example", 3), ("c", 1), 2.0)
    assert data and data != FORWARDED
    msg = dns.message.from_wire(data)
    assert [r.rdtype for r in msg.answer] == [1] and not msg.flags & dns.flags.AD
