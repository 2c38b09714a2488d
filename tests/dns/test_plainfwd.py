"""plainfwd.py: plain UDP queries for questions already forwarded skip the full path — with
the same answers, keys and counters, and never past a change of local data or routes."""

from __future__ import annotations

import random

import dns.flags
import dns.message
import dns.rrset
import pytest

from lanctl.config import load
from lanctl.config.grammar.dns import server_spec
from lanctl.config.model import DnsCfg
from lanctl.dns import wire
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import Send
from lanctl.dns.local import LocalData, build_local
from lanctl.dns.plainfwd import MEMO_MAX
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.upstreams import Routes, Upstream
from lanctl.errors import Where

W = Where("test.conf", 1, "server")
PEER = ("192.0.2.250", 1000)


def engine(*servers: str, **kw: object) -> DnsEngine:
    specs = tuple(server_spec(s, W) for s in servers or ("198.51.100.53",))
    kw.setdefault("cache_size", 0)  # every query goes upstream unless a test turns it on
    cfg = DnsCfg(no_resolv=True, server=specs, **kw)  # type: ignore[arg-type]
    return DnsEngine(cfg, LocalData(), rng=random.Random(3))


def query(name: str, qid: int, edns: bool = False, cd: bool = False) -> bytes:
    q = dns.message.make_query(name, "A", use_edns=0 if edns else False)
    q.id = qid
    if cd:
        q.flags |= dns.flags.CD
    return q.to_wire()


def ask(e: DnsEngine, data: bytes, dest: object, now: float = 0.0) -> bytes | None:
    """What the drain loop does: the fast path first, then the full path."""
    return e.fast_query(data, now) or e.full_query(data, PEER, now, "udp", dest)


def answer(send: Send, addr: str = "203.0.113.10") -> bytes:
    q = dns.message.from_wire(send.data)
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text(q.question[0].name, 300, "IN", "A", addr))
    return r.to_wire()


def test_a_remembered_question_is_forwarded_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    e = engine()
    assert ask(e, query("www.example", 1), "a") == FORWARDED
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, answer(send), 1.0)
    e.take_actions()
    decoded: list[bytes] = []
    real = wire.decode_query

    def spy(data: bytes) -> wire.Query:
        decoded.append(data)
        return real(data)

    monkeypatch.setattr("lanctl.dns.engine.decode_query", spy)
    before = dict(e.counters)
    assert ask(e, query("WWW.Example", 2), "b", 2.0) == FORWARDED
    assert decoded == []  # the short cut took it
    (send2,), _, _ = e.take_actions()
    sent = dns.message.from_wire(send2.data)  # as the full path: the client's spelling
    assert str(sent.question[0].name) == "WWW.Example." and sent.edns == 0
    e.on_upstream(send2.token, answer(send2, "203.0.113.20"), 3.0)
    (_, ((dest, data),)) = e.take_actions()[1:]
    msg = dns.message.from_wire(data)
    assert dest == "b" and msg.id == 2 and str(msg.question[0].name) == "WWW.Example."
    assert msg.answer[0][0].address == "203.0.113.20"
    assert e.counters["queries"] == before["queries"] + 1
    assert e.counters["forwarded"] == before["forwarded"] + 1


def test_identical_questions_in_flight_are_coalesced_and_cd_is_kept_apart() -> None:
    e = engine()
    ask(e, query("www.example", 1), "a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, answer(send), 1.0)
    e.take_actions()
    assert ask(e, query("www.example", 2), "b", 2.0) == FORWARDED
    assert ask(e, query("www.example", 3), "c", 2.0) == FORWARDED  # joins the one in flight
    assert ask(e, query("www.example", 4, cd=True), "d", 2.0) == FORWARDED  # a query of its own
    sends, _, _ = e.take_actions()
    assert len(sends) == 2 and e.fwd.counters["coalesced"] == 1
    for s in sends:
        e.on_upstream(s.token, answer(s), 3.0)
    replies = dict(e.take_actions()[2])
    assert sorted(replies) == ["b", "c", "d"]  # type: ignore[type-var]
    assert dns.message.from_wire(replies["d"]).flags & dns.flags.CD


def test_edns_queries_neither_fill_nor_take_the_short_cut() -> None:
    e = engine()
    ask(e, query("www.example", 1, edns=True), "a")
    assert e.resolver.plain is not None and e.resolver.plain.memo == {}
    ask(e, query("www.example", 2), "b")  # full path: joins the first, remembered
    assert len(e.resolver.plain.memo) == 1
    ask(e, query("www.example", 3, edns=True), "c")  # an OPT: the full path echoes one
    ask(e, query("www.example", 4), "d")  # the short cut, joining too
    (send,), _, _ = e.take_actions()
    assert e.fwd.counters["coalesced"] == 3
    e.on_upstream(send.token, answer(send), 1.0)
    got = {d: dns.message.from_wire(r) for d, r in e.take_actions()[2]}
    assert {d: m.edns for d, m in got.items()} == {"a": 0, "b": -1, "c": 0, "d": -1}
    assert {d: m.id for d, m in got.items()} == {"a": 1, "b": 2, "c": 3, "d": 4}


def test_a_name_that_becomes_local_is_answered_locally() -> None:
    e = engine()
    ask(e, query("host.example", 1), "a")
    e.take_actions()
    assert e.resolver.plain is not None and e.resolver.plain.memo
    local = load(["--no-resolv", "--host-record=host.example,192.0.2.77"]).dns
    e.set_local(build_local(local, []))  # SIGHUP: the hosts data now has the name
    assert e.resolver.plain.memo == {}
    out = ask(e, query("host.example", 2), "b")
    assert out and dns.message.from_wire(out).answer[0][0].address == "192.0.2.77"


def test_new_routes_are_used_at_once() -> None:
    e = engine("198.51.100.53")
    ask(e, query("www.example", 1), "a")
    (send,), _, _ = e.take_actions()
    assert send.server == Upstream("198.51.100.53")
    e.on_upstream(send.token, answer(send), 1.0)
    e.take_actions()
    e.set_routes(Routes([server_spec("198.51.100.54", W)]))
    ask(e, query("www.example", 2), "b", 2.0)
    (send2,), _, _ = e.take_actions()
    assert send2.server == Upstream("198.51.100.54")


def test_a_cached_answer_is_not_forwarded_again() -> None:
    e = engine(cache_size=150)
    ask(e, query("www.example", 1), "a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, answer(send), 1.0)
    e.take_actions()
    e.fast_query = lambda data, now: None  # as if the fast path had declined (e.g. too big)
    out = ask(e, query("www.example", 2), "b", 2.0)
    assert out and dns.message.from_wire(out).answer[0][0].address == "203.0.113.10"
    assert e.take_actions()[0] == []


def test_a_full_table_drops_the_query_as_the_full_path_does() -> None:
    e = engine(dns_forward_max=1)
    ask(e, query("a.example", 1), "a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, answer(send), 1.0)
    e.take_actions()
    ask(e, query("b.example", 2), "b", 2.0)  # fills the table
    assert ask(e, query("a.example", 3), "c", 2.0) is None
    assert e.counters["dropped"] == 1
    assert any("Maximum number of concurrent DNS queries" in line for line in e.take_logs())


@pytest.mark.parametrize(
    "option",
    [
        {"log_queries": True},
        {"domain_needed": True},
        {"bogus_priv": True},
        {"dns_loop_detect": True},
        {"use_stale_cache": 0},
        {"add_mac": "base64"},
    ],
)
def test_options_that_act_per_query_turn_the_short_cut_off(option: dict[str, object]) -> None:
    assert engine(**option).resolver.plain is None


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lanctl.dns.plainfwd.MEMO_MAX", 3)
    e = engine()
    for i in range(4):
        ask(e, query(f"n{i}.example", i), "a")
    assert e.resolver.plain is not None and len(e.resolver.plain.memo) == 1
    assert MEMO_MAX > 3
