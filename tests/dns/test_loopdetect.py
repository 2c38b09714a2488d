"""--dns-loop-detect: test queries to every server, looping servers disabled."""

from __future__ import annotations

import math
import random

import dns.flags
import dns.message
import dns.rdatatype

from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.local import LocalData
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.upstreams import Routes, Upstream
from tests.dns.test_forward import query, specs

A53, A54 = Upstream("198.51.100.53"), Upstream("198.51.100.54")


def loop_engine() -> DnsEngine:
    cfg = DnsCfg(no_resolv=True, server=tuple(specs("198.51.100.53", "198.51.100.54")),
                 dns_loop_detect=True, strict_order=True)  # fmt: skip
    e = DnsEngine(cfg, LocalData(), rng=random.Random(3))
    e.set_routes(Routes(cfg.server))
    return e


def test_test_queries_go_to_every_server_at_once_uncounted() -> None:
    e = loop_engine()
    assert e.next_deadline() == -math.inf
    e.on_timer(100.0)
    sends, _, replies = e.take_actions()
    assert replies == [] and [s.server for s in sends] == [A53, A54]
    for s in sends:
        q = dns.message.from_wire(s.data)
        name = q.question[0].name.to_text()
        assert q.question[0].rdtype == dns.rdatatype.TXT and q.flags & dns.flags.RD
        assert len(name) == len("0123abcd.test.") and name.endswith(".test.")
        int(name[:8], 16)
    assert e.next_deadline() != -math.inf
    assert b"198.51.100.53#53 0 0" in (e.resolver.servers_txt() or b"")
    # Their answers are nobody's: no reply, nothing cached, nothing counted.
    r = dns.message.make_response(dns.message.from_wire(sends[1].data))
    e.on_upstream(sends[1].token, r.to_wire(), 100.1)
    assert e.take_actions()[2] == [] and len(e.cache) == 0


def test_a_test_query_coming_back_disables_its_server() -> None:
    e = loop_engine()
    e.on_timer(0.0)
    sends, _, _ = e.take_actions()
    looped = sends[0].data  # 198.51.100.53 sends it back to us
    assert e.on_query(looped, ("198.51.100.53", 5353), 0.5, dest="x") is None  # dropped
    logs = e.take_logs()
    assert logs == ["NOT using nameserver 198.51.100.53#53 - query loop detected",
                    "using nameserver 198.51.100.54#53"]  # fmt: skip
    assert e.on_query(query("www.example", 9), ("192.0.2.250", 1), 1.0, dest="c") == FORWARDED
    (send,), _, _ = e.take_actions()
    assert send.server == A54  # strict order, but .53 is out
    assert b"198.51.100.53#53" in (e.resolver.servers_txt() or b"")  # still listed
    # The same servers again (SIGHUP): no new test, .53 stays out.
    e.set_routes(Routes(e.cfg.server))
    assert e.next_deadline() != -math.inf
    assert e.routes.route(b"\x03www\x07example\x00") == (A54,)
    # Another set: the test runs again on all of them, .53 usable until it loops again.
    e.set_routes(Routes(e.cfg.server, (Upstream("198.51.100.9"),)))
    assert e.next_deadline() == -math.inf
    assert A53 in e.routes.route(b"\x03www\x07example\x00")


def test_without_the_option_nothing_is_sent() -> None:
    cfg = DnsCfg(no_resolv=True, server=tuple(specs("198.51.100.53")))
    e = DnsEngine(cfg, LocalData(), rng=random.Random(3))
    assert e.next_deadline() is None
    e.on_timer(0.0)
    assert e.take_actions() == ([], [], [])
