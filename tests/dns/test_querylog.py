"""--log-queries=extra (querylog.py): serials, client address/port, TCP blocks, reply lines."""

from __future__ import annotations

import dns.message
import dns.rrset

from lanctl.dns.querylog import QueryLog, reply_lines, server_text, stamp
from lanctl.dns.reply import Body, parse_body, question_end
from lanctl.dns.upstreams import Upstream
from tests.dns.test_engine import ask
from tests.dns.test_engine import engine as local_engine
from tests.dns.test_forward import engine as fwd_engine
from tests.dns.test_forward import query, reply_to


def test_serials_count_queries_and_tcp_connections_reserve_100() -> None:
    ql = QueryLog()
    assert ql.prefix(("192.0.2.1", 4000), "udp") == "1 192.0.2.1/4000 "
    base = ql.tcp_block()  # dnsmasq: the TCP child numbers from here, the parent skips 100
    ql.tcp_next = base + 1
    assert ql.prefix(("192.0.2.2", 53000), "tcp") == "2 192.0.2.2/53000 "
    assert ql.prefix(("192.0.2.1", 4001), "udp") == "102 192.0.2.1/4001 "
    lines = ["a", "b", "c"]
    stamp(lines, 1, "7 x/1 ")
    assert lines == ["a", "7 x/1 b", "7 x/1 c"]


def test_server_text_hides_port_53_only() -> None:
    assert server_text(Upstream("198.51.100.53")) == "198.51.100.53"
    assert server_text(Upstream("198.51.100.53", 5300)) == "198.51.100.53#5300"


def test_extra_prefixes_local_answers_and_plain_does_not() -> None:
    e = local_engine(log_queries=True, log_queries_extra=True)
    ask(e, "host1.example")
    ask(e, "host1.example")  # no fast path while logging: every query is logged
    assert e.take_logs() == [
        "1 192.0.2.50/40000 query[A] host1.example from 192.0.2.50",
        "1 192.0.2.50/40000 /etc/hosts host1.example is 192.0.2.1",
        "2 192.0.2.50/40000 query[A] host1.example from 192.0.2.50",
        "2 192.0.2.50/40000 /etc/hosts host1.example is 192.0.2.1",
    ]
    plain = local_engine(log_queries=True)
    ask(plain, "host1.example")
    assert plain.take_logs()[0] == "query[A] host1.example from 192.0.2.50"


def test_extra_reply_lines_carry_the_serial_of_the_forwarded_query() -> None:
    e = fwd_engine(log_queries=True, log_queries_extra=True)
    e.on_query(query("www.example", 1), ("192.0.2.250", 1000), 0.0, dest="a")
    e.on_query(query("www.example", 2), ("192.0.2.251", 2000), 0.0, dest="b")  # joins it
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, reply_to(send), 0.5)
    e.on_query(query("www.example", 3), ("192.0.2.250", 1001), 1.0, dest="c")  # cached
    assert e.take_logs() == [
        "1 192.0.2.250/1000 query[A] www.example from 192.0.2.250",
        "1 192.0.2.250/1000 forwarded www.example to 198.51.100.53",
        "2 192.0.2.251/2000 query[A] www.example from 192.0.2.251",
        "2 192.0.2.251/2000 forwarded www.example to 198.51.100.53",
        "1 192.0.2.250/1000 reply www.example is 203.0.113.10",
        "3 192.0.2.250/1001 query[A] www.example from 192.0.2.250",
        "3 192.0.2.250/1001 cached www.example is 203.0.113.10",
    ]
    assert e.resolver.log_ids == {}  # the reply took the prefix


def test_warnings_reach_take_logs_without_log_queries() -> None:
    e = fwd_engine(stop_dns_rebind=True)
    e.on_query(query("rb.example", 1), ("192.0.2.250", 1000), 0.0, dest="a")
    (send,), _, _ = e.take_actions()
    r = dns.message.make_response(dns.message.from_wire(send.data))
    r.answer.append(dns.rrset.from_text("rb.example.", 300, "IN", "A", "127.0.0.1"))
    e.on_upstream(send.token, r.to_wire(), 0.1)
    assert e.pending_logs == ["possible DNS-rebind attack detected: rb.example"]
    assert e.take_logs() == ["possible DNS-rebind attack detected: rb.example"]
    assert not e.pending_logs  # the adapters' "anything to flush?" test


def _body(rrs: list[tuple[str, str, str]], rcode: int = 0, qtype: str = "A") -> tuple[bytes, Body]:
    q = dns.message.make_query("Multi.test", qtype)
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    for owner, rtype, value in rrs:  # one RRset each: the wire keeps this order
        r.answer.append(dns.rrset.from_text(owner, 300, "IN", rtype, value))
    data = r.to_wire()
    end = question_end(data)
    return data[12:end], parse_body(data, end)


def test_reply_lines_per_record_in_dnsmasq_order() -> None:
    # dnsmasq 2.90 on the wire: a name's records last first, TXT strings in order, then
    # along the CNAME chain under each record's own name.
    q, b = _body([("multi.test.", "A", "203.0.113.2"), ("multi.test.", "A", "203.0.113.1")])
    assert reply_lines("reply", "multi.test", q, b) == [
        "reply Multi.test is 203.0.113.1",  # dnspython compressed it to the question
        "reply Multi.test is 203.0.113.2",
    ]
    q, b = _body(
        [("multi.test.", "TXT", '"second"'), ("multi.test.", "TXT", '"hi" "there"')], 0, "TXT"
    )
    assert reply_lines("cached", "m.test", q, b) == [
        "cached Multi.test is hi",  # the question's spelling: the owner is a pointer to it
        "cached Multi.test is there",
        "cached Multi.test is second",
    ]
    chain = [("multi.test.", "CNAME", "target.example."), ("target.example.", "A", "203.0.113.7"),
             ("target.example.", "MX", "10 mx.example.")]  # fmt: skip
    q, b = _body(chain)
    assert reply_lines("reply", "multi.test", q, b) == [
        "reply Multi.test is <CNAME>",
        "reply target.example is <MX>",
        "reply target.example is 203.0.113.7",
    ]


def test_reply_lines_without_records() -> None:
    q, b = _body([])
    assert reply_lines("reply", "multi.test", q, b) == ["reply multi.test is NODATA-IPv4"]
    q, b = _body([], 0, "AAAA")
    assert reply_lines("cached", "multi.test", q, b) == ["cached multi.test is NODATA-IPv6"]
    q, b = _body([], 0, "MX")
    assert reply_lines("reply", "multi.test", q, b) == ["reply multi.test is NODATA"]
    q, b = _body([], 3)
    assert reply_lines("reply", "multi.test", q, b) == ["reply multi.test is NXDOMAIN"]
    q, b = _body([], 2)
    assert reply_lines("reply", "multi.test", q, b) == ["reply error is SERVFAIL"]
