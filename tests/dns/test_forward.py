"""Forwarding without sockets: routes, the in-flight table, and the engine in virtual time."""

from __future__ import annotations

import ipaddress
import random

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from lanctl.config.grammar.dns import ServerSpec, rev_server, server_spec
from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import Forwarder, ForwardPolicy, Send, Waiter
from lanctl.dns.local import LocalData
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.upstreams import LOCAL, Routes, Upstream
from lanctl.dns.wire import encode_name
from lanctl.errors import Where

W = Where("test.conf", 1, "server")
A53, A54 = Upstream("198.51.100.53"), Upstream("198.51.100.54")


def specs(*lines: str) -> list[ServerSpec]:
    return [server_spec(line, W) for line in lines]


# ---- routes ----------------------------------------------------------------------


def test_longest_domain_wins_and_local_and_hash() -> None:
    r = Routes(
        specs(
            "/google.com/198.51.100.53",
            "/www.google.com/198.51.100.54",
            "/lan.example/",
            "/std.google.com/#",
            "198.51.100.99",
        ),
        [Upstream("198.51.100.100")],
    )
    defaults = (Upstream("198.51.100.99"), Upstream("198.51.100.100"))
    assert r.route(encode_name("google.com")) == (A53,)
    assert r.route(encode_name("mail.google.com")) == (A53,)
    assert r.route(encode_name("a.www.google.com")) == (A54,)
    assert r.route(encode_name("supergoogle.com")) == defaults
    assert r.route(encode_name("x.lan.example")) == LOCAL
    assert r.route(encode_name("std.google.com")) == defaults
    assert r.route(b"\x00") == defaults
    assert r.all_servers() == (*defaults, A53, A54)


def test_wildcards_unqualified_and_accumulation() -> None:
    r = Routes(
        specs(
            "/*google.com/198.51.100.53",
            "/google.com/198.51.100.54",
            "//198.51.100.53",
            "/a.example/b.example/198.51.100.53",
            "/a.example/198.51.100.54",
        )
    )
    assert r.route(encode_name("supergoogle.com")) == (A53,)
    assert r.route(encode_name("www.google.com")) == (A54,)  # non-wildcard has priority
    assert r.route(encode_name("printer")) == (A53,)
    assert r.route(encode_name("printer.other")) == ()
    assert r.route(encode_name("x.a.example")) == (A53, A54)
    assert r.route(encode_name("b.example")) == (A53,)


def test_rev_server_and_ports() -> None:
    spec = rev_server("192.0.2.0/24,198.51.100.53#5353", W)
    r = Routes([spec])
    assert r.route(encode_name("7.2.0.192.in-addr.arpa")) == (Upstream("198.51.100.53", 5353),)
    assert r.route(encode_name("7.2.0.193.in-addr.arpa")) == ()
    assert Upstream("198.51.100.53", 5353).label == "198.51.100.53#5353"


# ---- the in-flight table ------------------------------------------------------------


def waiter(dest: object = "c1", qid: int = 7) -> Waiter:
    return Waiter(dest, qid, 0x0100, encode_name("www.example") + b"\x00\x01\x00\x01", 0, False,
                  "udp")  # fmt: skip


def reply_to(
    send: Send, rcode: int = 0, qid: int | None = None, name: str = "www.example."
) -> bytes:
    q = dns.message.from_wire(send.data)
    r = dns.message.make_response(q)
    if qid is not None:
        r.id = qid
    if name != "www.example.":
        r.question[0].name = dns.name.from_text(name)
    r.set_rcode(rcode)
    if rcode == 0:
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "203.0.113.10"))
    return r.to_wire()


QUESTION = encode_name("www.example") + b"\x00\x01\x00\x01"


def submit(f: Forwarder, servers: tuple[Upstream, ...], w: Waiter, now: float = 0.0) -> bool:
    return f.submit(b"k", QUESTION, 0x0100, False, servers, w, now)


def test_identical_queries_coalesce_and_random_ids() -> None:
    f = Forwarder(ForwardPolicy(), random.Random(1))
    for i in range(200):
        assert submit(f, (A53,), waiter(f"c{i}", i))
    sends, _ = f.take()
    assert len(sends) == 1 and f.counters["coalesced"] == 199
    g = Forwarder(ForwardPolicy(), random.Random(11))
    for i in range(50):
        g.submit(bytes([i]), QUESTION, 0, False, (A53,), waiter(), 0.0)
    assert len({s.data[:2] for s in g.take()[0]}) > 45  # a fresh random ID per query
    done = f.on_reply(sends[0].token, reply_to(sends[0]), 1.0)
    assert done is not None and len(done.pending.waiters) == 200
    assert f.take()[1] == [sends[0].token] and len(f) == 0


def test_wrong_id_or_question_is_ignored_then_right_reply_accepted() -> None:
    f = Forwarder(ForwardPolicy(), random.Random(2))
    submit(f, (A53,), waiter())
    (send,), _ = f.take()
    sent_id = int.from_bytes(send.data[:2], "big")
    assert f.on_reply(send.token, reply_to(send, qid=sent_id ^ 1), 0.1) is None
    assert f.on_reply(send.token, reply_to(send, name="www.example.net."), 0.1) is None
    assert f.on_reply(send.token, b"\x00" * 5, 0.1) is None
    assert f.counters["mismatched"] == 3
    done = f.on_reply(send.token, reply_to(send), 0.2)
    assert done is not None and done.body is not None and done.server == A53


def test_reply_needs_qr_one_question_and_our_question_whole() -> None:
    f = Forwarder(ForwardPolicy(), random.Random(3))
    submit(f, (A53,), waiter())
    (send,), _ = f.take()
    good = reply_to(send)
    qend = 12 + len(QUESTION)
    not_qr = good[:2] + bytes((good[2] & 0x7F,)) + good[3:]
    two_questions = good[:4] + b"\x00\x02" + good[6:]
    cut = good[: qend - 1]  # the question stops one octet short
    upper = good[:13] + good[13:16].upper() + good[16:]  # "WWW": not the case we sent
    for bad in (not_qr, two_questions, cut, upper, good[:11]):
        assert f.on_reply(send.token, bad, 0.1) is None
    assert f.counters["mismatched"] == 5 and len(f) == 1
    done = f.on_reply(send.token, good, 0.2)
    assert done is not None and done.body is not None and done.body.counts[0] == 1


def test_an_id_the_shared_socket_carries_is_not_reused() -> None:
    f = Forwarder(ForwardPolicy(), random.Random(4))
    asked: list[int] = []

    def taken(server: Upstream, qid: int) -> bool:
        asked.append(qid)
        return len(asked) <= 3  # the first three IDs drawn are in flight on that socket

    f.id_taken = taken
    submit(f, (A53,), waiter())
    (send,), _ = f.take()
    assert len(asked) == 4 and int.from_bytes(send.data[:2], "big") == asked[3]
    asked.clear()
    f.id_taken = lambda server, qid: True  # every ID taken: after ID_TRIES, one more draw
    f.submit(b"k2", QUESTION, 0x0100, False, (A53,), waiter(), 0.0)
    assert len(f.take()[0]) == 1


def test_upstream_hash_is_stable_and_follows_equality() -> None:
    a = Upstream("198.51.100.53", 53, "192.0.2.1", 5353, "eth0")
    b = Upstream("198.51.100.53", 53, "192.0.2.1", 5353, "eth0")
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert Upstream("198.51.100.53", 54) != A53 and len({A53, A54, Upstream("198.51.100.53")}) == 2
    assert (
        repr(A53) == "Upstream(address='198.51.100.53', port=53, source=None, "
        "source_port=None, interface=None)"
    )


def test_servfail_and_icmp_errors_fail_over_then_give_up() -> None:
    f = Forwarder(ForwardPolicy(strict_order=True), random.Random(3))
    submit(f, (A53, A54), waiter())
    (s1,), _ = f.take()
    assert s1.server == A53
    assert f.on_reply(s1.token, reply_to(s1, rcode=dns.rcode.SERVFAIL), 0.1) is None
    (s2,), _ = f.take()
    assert s2.server == A54
    done = f.on_error(s2.token, 0.2)
    assert done is not None and done.body is None  # everything failed: SERVFAIL
    assert f.failed == {A53: 1}  # dnsmasq: SERVFAIL/REFUSED replies count, ICMP errors not


def test_default_order_prefers_last_good_server_strict_does_not() -> None:
    for strict, expect in ((False, A54), (True, A53)):
        f = Forwarder(ForwardPolicy(strict_order=strict), random.Random(4))
        submit(f, (A53, A54), waiter())
        (s1,), _ = f.take()
        f.on_error(s1.token, 0.0)
        (s2,), _ = f.take()
        assert f.on_reply(s2.token, reply_to(s2), 0.1) is not None
        f.take()
        submit(f, (A53, A54), waiter("c2"), 1.0)
        (s3,), _ = f.take()
        assert s3.server == expect


def test_all_servers_sends_to_each_and_first_answer_wins() -> None:
    f = Forwarder(ForwardPolicy(all_servers=True), random.Random(5))
    submit(f, (A53, A54), waiter())
    sends, _ = f.take()
    assert [s.server for s in sends] == [A53, A54]
    done = f.on_reply(sends[1].token, reply_to(sends[1]), 0.1)
    assert done is not None and done.server == A54
    assert sorted(f.take()[1]) == sorted(s.token for s in sends)
    assert f.on_reply(sends[0].token, reply_to(sends[0]), 0.2) is None  # late: ignored


def test_deadline_gives_servfail_and_client_retry_moves_on() -> None:
    f = Forwarder(ForwardPolicy(timeout=10.0), random.Random(6))
    submit(f, (A53, A54), waiter(), now=5.0)
    f.take()
    assert f.next_deadline() == 15.0
    assert submit(f, (A53, A54), waiter(), now=6.0)  # same client, same ID: a retry
    (retry,), _ = f.take()
    assert retry.server == A54
    assert f.on_timer(14.9) == []
    (done,) = f.on_timer(15.0)
    assert done.body is None and f.counters["timeouts"] == 1 and f.next_deadline() is None


def test_fast_retry_resends_with_backoff() -> None:
    f = Forwarder(ForwardPolicy(fast_retry=(1000, 3500)), random.Random(7))
    submit(f, (A53,), waiter(), now=0.0)
    f.take()
    assert f.next_deadline() == 1.0
    f.on_timer(1.0)
    assert len(f.take()[0]) == 1 and f.next_deadline() == 3.0
    f.on_timer(3.0)
    assert len(f.take()[0]) == 1
    assert f.next_deadline() == 10.0  # 7.0 would pass the 3.5 s retry window


def test_forward_max_bounds_the_table() -> None:
    f = Forwarder(ForwardPolicy(forward_max=2), random.Random(8))
    assert f.submit(b"a", QUESTION, 0, False, (A53,), waiter(), 0.0)
    assert f.submit(b"b", QUESTION, 0, False, (A53,), waiter(), 0.0)
    assert not f.submit(b"c", QUESTION, 0, False, (A53,), waiter(), 0.0)
    assert f.submit(b"a", QUESTION, 0, False, (A53,), waiter("c9"), 0.0)  # joining is fine
    assert f.counters["dropped_full"] == 1


# ---- the engine -------------------------------------------------------------------


def engine(**kw: object) -> DnsEngine:
    servers = tuple(specs("198.51.100.53", "/lan.example/"))
    cfg = DnsCfg(no_resolv=True, server=servers, **kw)  # type: ignore[arg-type]
    return DnsEngine(cfg, LocalData(), rng=random.Random(9))


def query(name: str, qid: int, rdtype: str = "A", edns: bool = False) -> bytes:
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    q.id = qid
    return q.to_wire()


def test_engine_forwards_coalesces_and_answers_each_client_then_caches() -> None:
    e = engine()
    assert e.on_query(query("WWW.example", 1), ("192.0.2.250", 1000), 0.0, dest="a") == FORWARDED
    assert e.on_query(query("www.EXAMPLE", 2, edns=True), ("192.0.2.251", 1), 0.0, dest="b") == (
        FORWARDED
    )
    (send,), _, replies = e.take_actions()
    assert replies == [] and send.server == A53
    e.on_upstream(send.token, reply_to(send), 1.0)
    sends, closes, replies = e.take_actions()
    assert sends == [] and closes == [send.token]
    got = {dest: dns.message.from_wire(data) for dest, data in replies}
    assert got["a"].id == 1 and str(got["a"].question[0].name) == "WWW.example."
    assert got["b"].id == 2 and str(got["b"].question[0].name) == "www.EXAMPLE."
    assert got["a"].edns == -1 and got["b"].edns == 0
    assert got["a"].answer[0][0].address == "203.0.113.10"
    # Cached: answered at once, TTL aged, from the fast path (plain query) and the full path.
    fast = e.on_query(query("www.example", 3), ("192.0.2.250", 1), 11.0)
    full = e.on_query(query("www.example", 4, edns=True), ("192.0.2.250", 1), 11.0)
    for data in (fast, full):
        assert data
        msg = dns.message.from_wire(data)
        assert msg.answer[0].ttl == 290
        assert msg.flags == dns.flags.QR | dns.flags.RD | dns.flags.RA  # no AA with RD
    q = dns.message.make_query("www.example", "A", use_edns=False)
    q.flags = 0  # RD clear: dnsmasq marks the cached answer authoritative
    msg = dns.message.from_wire(e.on_query(q.to_wire(), ("c", 1), 12.0) or b"")
    assert msg.flags == dns.flags.QR | dns.flags.AA | dns.flags.RA and msg.id == q.id
    assert e.stats()["cache_hits"] == 3 and e.stats()["insertions"] == 1


def test_engine_local_only_refused_and_filters() -> None:
    e = engine(domain_needed=True, filter_aaaa=True)
    msg = dns.message.from_wire(e.on_query(query("x.lan.example", 1), ("c", 1), 0.0) or b"")
    assert msg.rcode() == dns.rcode.NXDOMAIN
    msg = dns.message.from_wire(e.on_query(query("printer", 2), ("c", 1), 0.0) or b"")
    assert msg.rcode() == dns.rcode.NXDOMAIN
    assert e.take_actions() == ([], [], [])
    assert e.on_query(query("v6.example", 3, "AAAA"), ("c", 1), 0.0, dest="a") == FORWARDED
    (send,), _, _ = e.take_actions()
    r = dns.message.make_response(dns.message.from_wire(send.data))
    r.answer.append(dns.rrset.from_text("v6.example.", 300, "IN", "AAAA", "2001:db8::1"))
    e.on_upstream(send.token, r.to_wire(), 0.1)
    (_, _, ((_, data),)) = e.take_actions()
    msg = dns.message.from_wire(data)
    assert msg.rcode() == dns.rcode.NOERROR and msg.answer == []
    assert not msg.flags & dns.flags.AA  # dnsmasq 2.90 keeps the upstream flags (on the wire)
    assert len(e.cache) == 0  # the unfiltered reply is not cached
    none = DnsEngine(DnsCfg(no_resolv=True), LocalData(), rng=random.Random(0))
    msg = dns.message.from_wire(none.on_query(query("a.example", 4), ("c", 1), 0.0) or b"")
    assert msg.rcode() == dns.rcode.REFUSED


def test_engine_timeout_servfail_and_rebind_block() -> None:
    e = engine(stop_dns_rebind=True)
    e.on_query(query("slow.example", 1), ("c", 1), 0.0, dest="a")
    e.take_actions()
    e.on_timer(e.next_deadline() or 0.0)
    (_, _, ((dest, data),)) = e.take_actions()
    assert dest == "a" and dns.message.from_wire(data).rcode() == dns.rcode.SERVFAIL
    e.on_query(query("evil.example", 2), ("c", 1), 20.0, dest="b")
    (send,), _, _ = e.take_actions()
    r = dns.message.make_response(dns.message.from_wire(send.data))
    r.answer.append(dns.rrset.from_text("evil.example.", 300, "IN", "A", "10.1.2.3"))
    e.on_upstream(send.token, r.to_wire(), 20.1)
    (_, _, ((_, data),)) = e.take_actions()
    msg = dns.message.from_wire(data)
    assert msg.rcode() == dns.rcode.NOERROR and msg.answer == []
    assert e.take_logs()[-1] == "possible DNS-rebind attack detected: evil.example"
    assert len(e.cache) == 0


def test_engine_servers_bind_lists_sent_and_failed() -> None:
    e = engine()
    e.on_query(query("a.example", 1), ("c", 1), 0.0, dest="a")
    (send,), _, _ = e.take_actions()
    e.on_upstream_error(send.token, 0.1)  # an ICMP error: not a failure for dnsmasq
    e.on_query(query("b.example", 1), ("c", 1), 0.2, dest="a")
    (send,), _, _ = e.take_actions()
    r = dns.message.make_response(dns.message.from_wire(send.data))
    r.set_rcode(dns.rcode.REFUSED)
    e.on_upstream(send.token, r.to_wire(), 0.3)  # a REFUSED reply is one
    q = dns.message.make_query("servers.bind", "TXT", "CH")
    msg = dns.message.from_wire(e.on_query(q.to_wire(), ("c", 1), 0.4) or b"")
    assert [s.decode() for s in msg.answer[0][0].strings] == ["198.51.100.53#53 2 1"]


@pytest.mark.parametrize("addr", ["198.51.100.53", "2001:db8::53"])
def test_upstream_from_spec(addr: str) -> None:
    (spec,) = specs(f"{addr}#5300@192.0.2.1" if ":" not in addr else f"{addr}#5300")
    r = Routes([spec])
    (up,) = r.defaults
    assert up.address == str(ipaddress.ip_address(addr)) and up.port == 5300


def test_more_specific_server_beats_address_and_local_rules() -> None:
    from lanctl.config import load
    from lanctl.dns.server import load_local

    cfg = load(["--no-resolv", "--no-hosts", "--address=/example/203.0.113.1", "--local=/lan/",
                "--server=/a.example/198.51.100.53", "--server=/b.lan/198.51.100.54",
                "--host-record=h.a.example,192.0.2.9"]).dns  # fmt: skip
    e = DnsEngine(cfg, load_local(cfg), rng=random.Random(0))
    for name in ("x.a.example", "x.b.lan"):
        assert e.on_query(query(name, 1), ("c", 1), 0.0, dest="a") == FORWARDED, name
    msg = dns.message.from_wire(e.on_query(query("x.example", 2), ("c", 1), 0.0) or b"")
    assert msg.answer[0][0].address == "203.0.113.1"
    msg = dns.message.from_wire(e.on_query(query("x.lan", 3), ("c", 1), 0.0) or b"")
    assert msg.rcode() == dns.rcode.NXDOMAIN
    msg = dns.message.from_wire(e.on_query(query("h.a.example", 4), ("c", 1), 0.0) or b"")
    assert msg.answer[0][0].address == "192.0.2.9"  # a name's own records stay local
    sends, _, _ = e.take_actions()
    assert [s.server for s in sends] == [A53, A54]
