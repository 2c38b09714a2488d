"""Which replies the cache keeps: dnsmasq 2.90's default types and --cache-rr."""

from __future__ import annotations

import dns.message
import dns.rcode
import dns.rrset

from lanctl.dns.cache import Cache, CachePolicy, cache_key
from lanctl.dns.wire import QType, encode_name
from tests.dns.test_cache import body_of


def reply(name: str, rdtype: str, value: str | None) -> dns.message.Message:
    r = dns.message.make_response(dns.message.make_query(name, rdtype))
    if value is None:
        r.set_rcode(dns.rcode.NXDOMAIN)  # with a SOA: RFC 2308 negative caching applies
        soa = "ns.example. h.example. 1 2 3 4 60"
        r.authority.append(dns.rrset.from_text("example.", 600, "IN", "SOA", soa))
    else:
        r.answer.append(dns.rrset.from_text(name, 300, "IN", rdtype, value))
    return r


def kept(cache: Cache, name: str, rdtype: str, value: str | None) -> bool:
    key = cache_key(encode_name(name), QType[rdtype] if rdtype in QType.__members__ else 13, 1,
                    False)  # fmt: skip
    return cache.store(key, body_of(reply(name, rdtype, value)), 0.0, "s")


def test_default_types_as_dnsmasq() -> None:
    c = Cache(CachePolicy())
    assert kept(c, "a.example.", "A", "203.0.113.1")
    assert kept(c, "a.example.", "AAAA", "2001:db8::1")
    assert kept(c, "_s._tcp.example.", "SRV", "0 0 80 s.example.")
    assert kept(c, "7.113.0.203.in-addr.arpa.", "PTR", "h.example.")
    assert not kept(c, "p.example.", "PTR", "h.example.")  # PTR only for reverse names
    assert not kept(c, "t.example.", "TXT", '"x"')
    assert not kept(c, "m.example.", "MX", "10 mx.example.")
    assert not kept(c, "c.example.", "CNAME", "t.example.")
    assert kept(c, "nx.example.", "TXT", None)  # NXDOMAIN: the name, whatever the type


def test_cache_rr_adds_types_and_any_means_all_but_any_questions() -> None:
    c = Cache(CachePolicy(cache_rr=frozenset({QType.TXT})))
    assert kept(c, "t.example.", "TXT", '"x"')
    assert not kept(c, "m.example.", "MX", "10 mx.example.")
    every = Cache(CachePolicy(cache_rr=frozenset({QType.ANY})))
    assert kept(every, "m.example.", "MX", "10 mx.example.")
    assert kept(every, "h.example.", "HINFO", '"c" "o"')
    assert kept(every, "y.example.", "ANY", None)  # NXDOMAIN still kept
    any_key = cache_key(encode_name("y.example."), QType.ANY, 1, False)
    assert not every.store(any_key, body_of(reply("y.example.", "A", "203.0.113.1")), 0.0, "s")
