"""Unit tests for the dnsmasq 2.90 forwarding behaviours of issue #7 (the wire comparisons
are in test_forward_compat.py and test_log_compat.py): other query classes are forwarded,
the client's OPT options and size go upstream, "failed" counts SERVFAIL/REFUSED replies only,
and TCP queries stay out of the SIGUSR1 totals and per-server counters.
"""

from __future__ import annotations

import random

import dns.edns
import dns.message
import dns.rcode
import dns.rrset

from lanctl.config.grammar.dns import server_spec
from lanctl.config.model import DnsCfg
from lanctl.dns.edns import passthrough_opt, upstream_size
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import Forwarder, ForwardPolicy, Waiter
from lanctl.dns.local import LocalData
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import decode_query, encode_name
from lanctl.errors import Where

UP = Upstream("198.51.100.53")


def engine() -> DnsEngine:
    cfg = DnsCfg(no_resolv=True, server=(server_spec("198.51.100.53", Where("t", 1, "server")),))
    return DnsEngine(cfg, LocalData(), rng=random.Random(5))


def wire(name: str, rdtype: str = "A", rdclass: str = "IN", **edns: object) -> bytes:
    return dns.message.make_query(name, rdtype, rdclass, **edns).to_wire()  # type: ignore[arg-type]


def chaos_txt(e: DnsEngine, name: str) -> list[str]:
    r = dns.message.from_wire(e.on_query(wire(name, "TXT", "CH"), ("c", 1), 0.5) or b"")
    return [s.decode() for s in r.answer[0][0].strings]


def test_chaos_and_other_classes_are_forwarded_unchanged() -> None:
    e = engine()
    for rdclass in ("CH", "HS", "NONE", "CLASS300"):
        assert e.on_query(wire("foo.example", "TXT", rdclass), ("c", 1), 0.0) == FORWARDED
        (send,), _, _ = e.take_actions()
        assert str(dns.message.from_wire(send.data).question[0]).endswith(f" {rdclass} TXT")
        assert send.server == UP
    # the *.bind names stay ours
    assert chaos_txt(e, "servers.bind") == ["198.51.100.53#53 4 0"]


def test_other_class_without_a_server_is_refused() -> None:
    e = DnsEngine(DnsCfg(no_resolv=True), LocalData(), rng=random.Random(5))
    r = dns.message.from_wire(e.on_query(wire("foo.example", "TXT", "CH"), ("c", 1), 0.0) or b"")
    assert r.rcode() == dns.rcode.REFUSED


def test_passthrough_opt_keeps_client_options_and_size() -> None:
    cookie = dns.edns.GenericOption(10, bytes(8))
    data = wire("a.example", use_edns=0, payload=800, options=[cookie], want_dnssec=True)
    q = decode_query(data)
    opt = passthrough_opt(data, q, 1232)
    assert opt is not None and upstream_size(q, 1232) == 800
    m = dns.message.from_wire(b"\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01"
                              + data[12 : q.question_end] + opt)  # fmt: skip
    assert (m.payload, m.ednsflags, [o.otype for o in m.options]) == (800, 0x8000, [10])
    big = wire("a.example", use_edns=0, payload=4096)
    assert passthrough_opt(big, decode_query(big), 1232) is None  # the forwarder's own OPT
    small = wire("a.example", use_edns=0, payload=100)
    assert passthrough_opt(small, decode_query(small), 1232) == b"\x00\x00\x29\x02\x00" + bytes(6)


def test_timeouts_and_errors_are_not_server_failures() -> None:
    f = Forwarder(ForwardPolicy(), random.Random(1))
    question = encode_name("www.example") + b"\x00\x01\x00\x01"
    w = Waiter("c", 7, 0x0100, question, 0, False, "udp")
    assert f.submit(b"k", question, 0x0100, False, (UP,), w, 0.0)
    assert f.on_timer(11.0)[0].body is None  # given up: SERVFAIL to the client
    assert f.sent == {UP: 1} and f.failed == {}


def test_tcp_queries_stay_out_of_sigusr1_totals_and_server_counters() -> None:
    e = engine()
    e.on_query(wire("tcp.example"), ("c", 1), 0.0, "tcp", dest="t")
    e.on_query(wire("udp.example"), ("c", 2), 0.0, "udp", dest="u")
    sends, _, _ = e.take_actions()
    for send in sends:
        q = dns.message.from_wire(send.data)
        r = dns.message.make_response(q)
        if str(q.question[0].name).startswith("udp"):
            r.set_rcode(dns.rcode.NXDOMAIN)
        else:
            r.answer.append(dns.rrset.from_text(q.question[0].name, 300, "IN", "A", "192.0.2.1"))
        e.on_upstream(send.token, r.to_wire(), 0.1)
    assert len(e.take_actions()[2]) == 2  # both clients answered
    e.on_query(wire("tcp.example"), ("c", 1), 0.2, "tcp", dest="t")  # cached
    assert "queries forwarded 1, queries answered locally 0" in e.log_stats()
    assert chaos_txt(e, "servers.bind") == ["198.51.100.53#53 1 0"]
    assert chaos_txt(e, "misses.bind") == ["1"]
    assert [ln for ln in e.log_stats() if ln.startswith("server ")] == [
        "server 198.51.100.53#53: queries sent 1, retried 0, failed 0, nxdomain replies 1, "
        "avg. latency 100ms"
    ]
    stats = e.stats()  # the control socket's totals keep them
    assert (stats["forwarded"], stats["tcp_forwarded"], stats["tcp_hits"]) == (2, 1, 1)
