"""--use-stale-cache: expired entries answered with TTL 0 while a refresh goes upstream."""

from __future__ import annotations

import dns.message

from lanctl.dns.cache import Cache, CachePolicy
from lanctl.dns.resolver import FORWARDED
from tests.dns.test_cache import KEY, answer
from tests.dns.test_forward import engine, query, reply_to


def test_cache_keeps_expired_entries_within_the_excess() -> None:
    c = Cache(CachePolicy(stale=60))
    assert c.store(KEY, answer(ttl=10), 100.0, "s")
    assert c.lookup_stale(KEY, 105.0) is None  # not expired yet: lookup() serves it
    assert c.lookup(KEY, 111.0) is None  # expired: a miss, but the entry stays
    stale = c.lookup_stale(KEY, 111.0)
    assert stale is not None and stale[1] == (0,)
    assert c.lookup_stale(KEY, 170.0) is not None  # 60 s past expiry: still served
    assert c.lookup(KEY, 171.0) is None
    assert c.lookup_stale(KEY, 171.0) is None and len(c) == 0  # too old: dropped


def test_zero_excess_means_no_limit_and_off_means_gone() -> None:
    c = Cache(CachePolicy(stale=0))
    c.store(KEY, answer(ttl=10), 0.0, "s")
    assert c.lookup(KEY, 1e9) is None and c.lookup_stale(KEY, 1e9) is not None
    off = Cache(CachePolicy())
    off.store(KEY, answer(ttl=10), 0.0, "s")
    assert off.lookup(KEY, 11.0) is None and off.lookup_stale(KEY, 11.0) is None
    assert len(off) == 0


def test_engine_answers_stale_at_once_and_refreshes_in_background() -> None:
    e = engine(use_stale_cache=30, log_queries=True)
    e.on_query(query("www.example", 1), ("192.0.2.250", 1), 0.0, dest="a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, reply_to(send), 0.1)  # TTL 300
    e.take_actions()
    e.take_logs()
    # The stale answer leaves with the refresh (FORWARDED: the adapter then dispatches).
    assert e.on_query(query("www.example", 2), ("192.0.2.250", 1), 310.0, dest="b") == FORWARDED
    (refresh,), _, ((dest, data),) = e.take_actions()
    msg = dns.message.from_wire(data)
    assert dest == "b" and msg.id == 2 and msg.answer[0].ttl == 0
    assert msg.answer[0][0].address == "203.0.113.10"
    assert "cached-stale www.example is 203.0.113.10" in e.take_logs()
    # A second stale hit while the refresh is in flight sends nothing more upstream.
    assert e.on_query(query("www.example", 3), ("192.0.2.250", 1), 310.5, dest="c") == FORWARDED
    sends, _, ((dest, again),) = e.take_actions()
    assert sends == [] and dest == "c" and dns.message.from_wire(again).answer[0].ttl == 0
    # The refresh answer goes to nobody, it only renews the cache.
    e.on_upstream(refresh.token, reply_to(refresh), 311.0)
    sends, closes, replies = e.take_actions()
    assert (sends, closes, replies) == ([], [refresh.token], [])
    fresh = e.on_query(query("www.example", 4, edns=True), ("192.0.2.250", 1), 312.0)
    assert fresh and dns.message.from_wire(fresh).answer[0].ttl == 299


def test_engine_forwards_normally_past_the_excess_and_without_the_option() -> None:
    for kw in ({"use_stale_cache": 30}, {}):
        e = engine(**kw)
        e.on_query(query("www.example", 1), ("c", 1), 0.0, dest="a")
        (send,), _, _ = e.take_actions()
        e.on_upstream(send.token, reply_to(send), 0.1)
        e.take_actions()
        assert e.on_query(query("www.example", 2), ("c", 1), 331.0, dest="b") == FORWARDED
        (send,), _, _ = e.take_actions()
        e.on_upstream(send.token, reply_to(send), 331.1)
        (_, _, ((dest, data),)) = e.take_actions()
        assert dest == "b" and dns.message.from_wire(data).answer[0].ttl == 300


def test_refresh_that_fails_keeps_the_stale_entry() -> None:
    e = engine(use_stale_cache=0)
    e.on_query(query("www.example", 1), ("c", 1), 0.0, dest="a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, reply_to(send), 0.1)
    e.take_actions()
    e.on_query(query("www.example", 2), ("c", 1), 400.0, dest="b")
    assert e.take_actions()[2][0][0] == "b"
    e.on_timer(e.next_deadline() or 0.0)  # the refresh times out: no SERVFAIL to anyone
    assert e.take_actions()[2] == []
    e.on_query(query("www.example", 3), ("c", 1), 500.0, dest="c")
    ((dest, data),) = e.take_actions()[2]
    assert dest == "c" and dns.message.from_wire(data).answer[0].ttl == 0
