"""Cache in virtual time: TTL ageing, negative entries, TTL options, LRU and counters."""

from __future__ import annotations

import dns.message
import dns.rcode
import dns.rrset

from lanctl.dns.cache import Cache, CachePolicy, cache_key
from lanctl.dns.reply import Body, parse_body, question_end

KEY = cache_key(b"\x03www\x07example\x00", 1, 1, False)


def body_of(msg: dns.message.Message) -> Body:
    wire = msg.to_wire()
    return parse_body(wire, question_end(wire))


def answer(name: str = "www.example.", ttl: int = 300, *addrs: str) -> Body:
    q = dns.message.make_query(name, "A")
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text(name, ttl, "IN", "A", *(addrs or ("203.0.113.10",))))
    return body_of(r)


def negative(rcode: int = dns.rcode.NXDOMAIN, soa_ttl: int | None = 600, minimum: int = 60) -> Body:
    q = dns.message.make_query("nx.example.", "A")
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    if soa_ttl is not None:
        r.authority.append(
            dns.rrset.from_text(
                "example.", soa_ttl, "IN", "SOA", f"ns.example. h.example. 1 2 3 4 {minimum}"
            )
        )
    return body_of(r)


def test_hit_ages_ttl_and_expires() -> None:
    c = Cache(CachePolicy())
    assert c.store(KEY, answer(ttl=300), 100.0, "198.51.100.53#53")
    hit = c.lookup(KEY, 102.5)
    assert hit is not None and hit[1] == (298,)
    assert c.lookup(KEY, 400.0) is None  # 300 s later: gone
    assert (c.hits, c.misses, c.insertions) == (1, 1, 1)


def test_zero_ttl_and_servfail_are_not_cached() -> None:
    c = Cache(CachePolicy())
    assert not c.store(KEY, answer(ttl=0), 0.0, "s")
    assert not c.store(KEY, negative(dns.rcode.SERVFAIL), 0.0, "s")
    assert len(c) == 0


def test_negative_uses_soa_minimum_or_neg_ttl() -> None:
    c = Cache(CachePolicy())
    assert c.store(KEY, negative(soa_ttl=600, minimum=60), 0.0, "s")
    assert c.lookup(KEY, 59.0) is not None
    assert c.lookup(KEY, 61.0) is None
    assert not c.store(KEY, negative(soa_ttl=None), 0.0, "s")  # no SOA, no --neg-ttl
    c2 = Cache(CachePolicy(neg_ttl=30))
    assert c2.store(KEY, negative(soa_ttl=None), 0.0, "s")
    assert c2.lookup(KEY, 29.0) is not None and c2.lookup(KEY, 31.0) is None


def test_negative_soa_ttl_is_capped_by_lifetime() -> None:
    c = Cache(CachePolicy())
    c.store(KEY, negative(soa_ttl=600, minimum=60), 0.0, "s")
    hit = c.lookup(KEY, 10.0)
    assert hit is not None and hit[1] == (50,)


def test_no_negcache() -> None:
    c = Cache(CachePolicy(no_negcache=True))
    assert not c.store(KEY, negative(), 0.0, "s")
    assert c.store(KEY, answer(), 0.0, "s")


def test_ttl_options() -> None:
    c = Cache(CachePolicy(max_cache_ttl=100))
    c.store(KEY, answer(ttl=300), 0.0, "s")
    assert c.lookup(KEY, 101.0) is None
    c = Cache(CachePolicy(min_cache_ttl=50))
    c.store(KEY, answer(ttl=5), 0.0, "s")
    hit = c.lookup(KEY, 40.0)
    assert hit is not None and hit[1] == (10,)
    c = Cache(CachePolicy(min_cache_ttl=99999))  # capped at one hour
    c.store(KEY, answer(ttl=5), 0.0, "s")
    assert c.lookup(KEY, 3599.0) is not None and c.lookup(KEY, 3601.0) is None
    c = Cache(CachePolicy(max_ttl=60))  # clients see at most 60, the cache keeps 300
    c.store(KEY, answer(ttl=300), 0.0, "s")
    hit = c.lookup(KEY, 200.0)
    assert hit is not None and hit[1] == (60,)
    assert c.client_ttls(answer(ttl=300)) == (60,)
    assert c.client_ttls(answer(ttl=30)) is None


def test_lru_eviction_counts_live_entries_only() -> None:
    c = Cache(CachePolicy(size=2))
    keys = [cache_key(bytes([1, 97 + i, 0]), 1, 1, False) for i in range(3)]
    c.store(keys[0], answer(ttl=10), 0.0, "s")
    c.store(keys[1], answer(ttl=300), 0.0, "s")
    assert c.lookup(keys[0], 1.0) is not None  # keys[0] now most recently used
    c.store(keys[2], answer(ttl=300), 2.0, "s")  # evicts keys[1], alive
    assert c.lookup(keys[1], 2.0) is None
    assert c.evictions == 1
    c.store(keys[1], answer(ttl=300), 20.0, "s")  # evicts keys[0], expired at 10
    assert c.evictions == 1
    assert c.insertions == 4


def test_size_zero_disables() -> None:
    c = Cache(CachePolicy(size=0))
    assert not c.store(KEY, answer(), 0.0, "s")
    assert c.lookup(KEY, 0.0) is None


def test_dump_and_clear() -> None:
    c = Cache(CachePolicy())
    c.store(KEY, answer(ttl=300), 0.0, "198.51.100.53#53")
    nkey = cache_key(b"\x02nx\x07example\x00", 28, 1, True)
    c.store(nkey, negative(), 0.0, "198.51.100.54#53")
    rows = c.dump(10.0)
    assert [(r.name, r.type, r.value, r.ttl, r.flags, r.source) for r in rows] == [
        ("www.example", "A", "203.0.113.10", 290, "F", "198.51.100.53#53"),
        ("nx.example", "AAAA", "NXDOMAIN", 50, "FNXD", "198.51.100.54#53"),
    ]
    assert c.clear() == 2 and c.dump(10.0) == []


def test_fast_path_patches_ttls_once_per_second_and_respects_room() -> None:
    c = Cache(CachePolicy(max_ttl=295))
    body = answer(ttl=300)
    c.store(KEY, body, 0.0, "s")
    first = c.fast(KEY, 3.2, 512)
    assert first is not None
    flags, counts, payload = first
    assert counts == b"\x00\x01\x00\x00\x00\x00" and flags == body.flags
    assert payload[6:10] == (295).to_bytes(4, "big")  # 297 left, capped by --max-ttl
    again = c.fast(KEY, 3.9, 512)
    assert again is not None and again[2] is payload  # same second: reused
    later = c.fast(KEY, 10.0, 512)
    assert later is not None and later[2][6:10] == (290).to_bytes(4, "big")
    assert c.fast(KEY, 10.0, len(body.data) - 1) is None
    assert c.fast(KEY, 301.0, 512) is None
    assert c.hits == 3
