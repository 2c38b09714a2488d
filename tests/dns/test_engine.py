"""DnsEngine: replies parsed with dnspython (tests only), no sockets, no clock."""

from __future__ import annotations

import ipaddress
import random
import struct

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from lanctl.config.grammar import address_spec, domain_spec, host_record
from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.hosts import parse_hosts
from lanctl.dns.local import build_local
from lanctl.errors import COMMAND_LINE as W

PEER = ("192.0.2.50", 40000)
HOSTS = "192.0.2.1 host1.example host1\n2001:db8::1 host1.example\n192.0.2.2 shorty\n" + "".join(
    f"198.51.100.{i} big.example\n" for i in range(1, 121)
)


def engine(hosts: str = HOSTS, **kw: object) -> DnsEngine:
    cfg = DnsCfg(
        no_hosts=True,
        no_resolv=True,
        expand_hosts=True,
        domain=(domain_spec("lan", W),),
        address=tuple(
            address_spec(x, W)
            for x in ("/blocked.example/", "/ads.example/203.0.113.1", "/null.example/#")
        ),
        host_record=(host_record("rec.example,198.51.100.200,300", W),),
        **kw,  # type: ignore[arg-type]
    )
    return DnsEngine(
        cfg, build_local(cfg, [parse_hosts(hosts, "/etc/hosts")]), rng=random.Random(0)
    )


def ask(
    e: DnsEngine,
    name: str,
    rdtype: str = "A",
    rdclass: str = "IN",
    *,
    transport: str = "udp",
    **make: object,
) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, rdclass, **make)  # type: ignore[arg-type]
    out = e.on_query(q.to_wire(), PEER, 0.0, transport)  # type: ignore[arg-type]
    assert out is not None
    reply = dns.message.from_wire(out)
    assert reply.id == q.id
    return reply


def rrset_texts(msg: dns.message.Message) -> list[str]:
    return sorted(rd.to_text() for rrset in msg.answer for rd in rrset)


def test_a_aaaa_from_hosts_authoritative_ttl_zero() -> None:
    e = engine()
    r = ask(e, "host1.example")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA and r.flags & dns.flags.RA and r.flags & dns.flags.RD
    assert rrset_texts(r) == ["192.0.2.1"]
    assert r.answer[0].ttl == 0
    assert rrset_texts(ask(e, "host1.example", "AAAA")) == ["2001:db8::1"]
    assert rrset_texts(ask(e, "host1.example", "ANY")) == ["192.0.2.1", "2001:db8::1"]


def test_local_ttl_and_host_record_ttl() -> None:
    e = engine(local_ttl=60)
    assert ask(e, "host1.example").answer[0].ttl == 60
    assert ask(e, "rec.example").answer[0].ttl == 300


def test_ptr_and_expanded_names() -> None:
    e = engine()
    assert rrset_texts(ask(e, "1.2.0.192.in-addr.arpa", "PTR")) == ["host1.example."]
    assert rrset_texts(ask(e, "2.2.0.192.in-addr.arpa", "PTR")) == ["shorty.lan."]
    assert rrset_texts(ask(e, "shorty.lan")) == ["192.0.2.2"]


def test_question_case_is_echoed_and_id_copied() -> None:
    e = engine()
    for _ in range(2):  # the second answer comes from the pre-rendered fast path
        r = ask(e, "HoSt1.ExAmPlE")
        assert r.question[0].name.to_text() == "HoSt1.ExAmPlE."
        assert r.answer[0].name.to_text() == "HoSt1.ExAmPlE."
        assert rrset_texts(r) == ["192.0.2.1"]
    assert e.fast_hits == 1
    assert e.stats()["local_answers"] == 2


def test_rd_clear_is_copied() -> None:
    r = ask(engine(), "host1.example", flags=0)
    assert not r.flags & dns.flags.RD
    assert r.flags & dns.flags.AA


def test_unknown_name_is_refused_with_ede_not_ready() -> None:
    e = engine()
    r = ask(e, "unknown.example", use_edns=0)
    assert r.rcode() == dns.rcode.REFUSED
    assert not r.flags & dns.flags.AA
    assert [(o.otype, o.code) for o in r.options] == [(dns.edns.OptionType.EDE, 14)]  # type: ignore[attr-defined]
    assert ask(e, "host1.example", "MX").rcode() == dns.rcode.REFUSED
    assert e.stats()["refused"] == 2


def test_address_rules_nxdomain_and_nodata_and_null() -> None:
    e = engine()
    r = ask(e, "sub.blocked.example")
    assert r.rcode() == dns.rcode.NXDOMAIN and not r.flags & dns.flags.AA and not r.answer
    r = ask(e, "blocked.example", "AAAA")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert rrset_texts(ask(e, "x.ads.example")) == ["203.0.113.1"]
    assert ask(e, "x.ads.example", "AAAA").rcode() == dns.rcode.REFUSED
    assert rrset_texts(ask(e, "null.example", "AAAA")) == ["::"]


def test_udp_truncation_without_edns_keeps_whole_rrs() -> None:
    e = engine()
    q = dns.message.make_query("big.example", "A", use_edns=False)
    out = e.on_query(q.to_wire(), PEER, 0.0)
    assert out is not None and len(out) <= 512
    r = dns.message.from_wire(out)
    assert r.flags & dns.flags.TC
    assert len(r.answer[0]) == 30  # (512 - 12 - 17) // 16 whole A records, as dnsmasq
    assert e.stats()["truncated"] == 1


def test_udp_truncation_uses_min_of_client_size_and_edns_packet_max() -> None:
    e = engine(edns_packet_max=1232)
    q = dns.message.make_query("big.example", "A", use_edns=0, payload=4096)
    out = e.on_query(q.to_wire(), PEER, 0.0)
    assert out is not None and 1200 < len(out) <= 1232
    r = dns.message.from_wire(out)
    assert r.flags & dns.flags.TC and r.edns == 0 and r.payload == 1232
    q = dns.message.make_query("big.example", "A", use_edns=0, payload=600)
    out = e.on_query(q.to_wire(), PEER, 0.0)
    assert out is not None and 550 < len(out) <= 600


def test_tcp_is_not_truncated() -> None:
    r = ask(engine(), "big.example", transport="tcp", use_edns=False)
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 120


def test_edns_reply_echoes_do_bit() -> None:
    r = ask(engine(), "host1.example", want_dnssec=True)
    assert r.edns == 0 and r.ednsflags & dns.flags.DO
    r = ask(engine(), "host1.example", use_edns=False)
    assert r.edns == -1


@pytest.mark.parametrize(
    "packet",
    [
        struct.pack("!HHHHHH", 0x1234, 0x0100, 0, 0, 0, 0),
        struct.pack("!HHHHHH", 0x1234, 0x0100, 2, 0, 0, 0) + b"\x01a\x00\x00\x01\x00\x01" * 2,
        struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x05host1",
    ],
)
def test_malformed_query_gets_formerr(packet: bytes) -> None:
    e = engine()
    out = e.on_query(packet, PEER, 0.0)
    assert out is not None
    assert out[:2] == b"\x12\x34" and out[3] & 0x0F == dns.rcode.FORMERR and out[2] & 0x80
    assert e.stats()["formerr"] == 1


def test_responses_and_runts_are_dropped() -> None:
    e = engine()
    q = dns.message.make_query("host1.example", "A")
    resp = dns.message.make_response(q).to_wire()
    assert e.on_query(resp, PEER, 0.0) is None
    assert e.on_query(b"\x12\x34\x01", PEER, 0.0) is None
    assert e.stats()["dropped"] == 2


def test_other_opcode_gets_notimp() -> None:
    q = dns.message.make_query("host1.example", "A")
    q.set_opcode(dns.opcode.NOTIFY)
    out = engine().on_query(q.to_wire(), PEER, 0.0)
    assert out is not None
    r = dns.message.from_wire(out)
    assert r.rcode() == dns.rcode.NOTIMP and r.opcode() == dns.opcode.NOTIFY


def test_chaos_statistics_names() -> None:
    e = engine(cache_size=321)
    ask(e, "host1.example")
    ask(e, "host1.example")  # fast path: still counted
    r = ask(e, "cachesize.bind", "TXT", "CH")
    assert r.flags & dns.flags.AA
    assert r.answer[0].rdclass == dns.rdataclass.CH
    assert rrset_texts(r) == ['"321"']
    assert rrset_texts(ask(e, "hits.bind", "TXT", "CH")) == ['"3"']  # before this one
    for name in ("insertions", "evictions", "misses", "auth"):
        assert rrset_texts(ask(e, f"{name}.bind", "TXT", "CH")) == ['"0"']
    assert rrset_texts(ask(e, "version.bind", "TXT", "CH"))[0].startswith('"lanctl-')
    r = ask(e, "servers.bind", "TXT", "CH")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert ask(e, "host1.example", "A", "CH").rcode() == dns.rcode.REFUSED
    # dnsmasq 2.90 answers unknown names under bind/server NOTIMP, never forwarding them.
    assert ask(e, "other.bind", "TXT", "CH").rcode() == dns.rcode.NOTIMP
    assert ask(e, "cachesize.bind", "A", "CH").rcode() == dns.rcode.NOTIMP
    assert ask(e, "id.server", "TXT", "CH").rcode() == dns.rcode.NOTIMP


def test_log_queries_lines_in_dnsmasq_shape() -> None:
    e = engine(log_queries=True)
    ask(e, "Host1.Example")
    ask(e, "Host1.Example")  # no fast path while logging: every query is logged
    ask(e, "1.2.0.192.in-addr.arpa", "PTR")
    ask(e, "a.blocked.example")
    ask(e, "nope.example", "AAAA")
    assert e.take_logs() == [
        "query[A] Host1.Example from 192.0.2.50",
        "/etc/hosts Host1.Example is 192.0.2.1",
        "query[A] Host1.Example from 192.0.2.50",
        "/etc/hosts Host1.Example is 192.0.2.1",
        "query[PTR] 1.2.0.192.in-addr.arpa from 192.0.2.50",
        "/etc/hosts 192.0.2.1 is host1.example",
        "query[A] a.blocked.example from 192.0.2.50",
        "config a.blocked.example is NXDOMAIN",
        "query[AAAA] nope.example from 192.0.2.50",
        "config error is REFUSED (EDE: not ready)",
    ]
    assert e.take_logs() == []


def test_clear_cache_and_set_local_drop_prerendered_answers() -> None:
    e = engine()
    ask(e, "host1.example")
    assert e.clear_cache() == 1
    cfg = e.cfg
    e.set_local(build_local(cfg, [parse_hosts("192.0.2.99 host1.example\n", "/etc/hosts")]))
    assert rrset_texts(ask(e, "host1.example")) == ["192.0.2.99"]


def test_stats_and_log_stats() -> None:
    e = engine()
    ask(e, "host1.example")
    ask(e, "nope.example")
    s = e.stats()
    assert (s["queries"], s["hits"], s["local_answers"], s["refused"], s["misses"]) == (
        2,
        2,
        1,
        1,
        0,
    )
    lines = e.log_stats()
    assert lines[0].startswith("time ") and int(lines[0][5:]) > 1_600_000_000
    assert lines[1:7] == [
        "cache size 150, 0/0 cache insertions re-used unexpired cache entries.",
        "queries forwarded 0, queries answered locally 2",
        "queries for authoritative zones 0",
        "DNSSEC per-query subqueries HWM 0",
        "DNSSEC per-query crypto work HWM 0",
        "DNSSEC per-RRSet signature fails HWM 0",
    ]


# ---- round-robin (dnsmasq's default; --no-round-robin) ------------------------------------

RR_HOSTS = "192.0.2.11 multi.example\n192.0.2.12 multi.example\n192.0.2.13 multi.example\n"
RR_HOSTS += "2001:db8::11 multi.example\n2001:db8::12 multi.example\n"


def rr_engine(**kw: object) -> DnsEngine:
    cfg = DnsCfg(
        no_hosts=True,
        no_resolv=True,
        address=(
            address_spec("/ads.example/203.0.113.1", W),
            address_spec("/ads.example/203.0.113.2", W),
        ),
        host_record=tuple(host_record(f"hr.example,198.51.100.{i}", W) for i in (7, 8)),
        **kw,  # type: ignore[arg-type]
    )
    local = build_local(cfg, [parse_hosts(RR_HOSTS, "/etc/hosts")])
    return DnsEngine(cfg, local, rng=random.Random(0))


def order(msg: dns.message.Message) -> list[str]:
    return [rd.to_text() for rrset in msg.answer for rd in rrset]


def test_hosts_addresses_rotate_left_by_one_per_query() -> None:
    e = rr_engine()
    got = [order(ask(e, "multi.example")) for _ in range(4)]  # UDP: the fast path
    a, b, c = "192.0.2.11", "192.0.2.12", "192.0.2.13"
    assert got == [[a, b, c], [b, c, a], [c, a, b], [a, b, c]]
    assert e.fast_hits == 3  # the first query rendered the answer, the others were fast


def test_rotation_is_shared_by_fast_and_full_paths_and_per_type() -> None:
    e = rr_engine()
    a, b, c = "192.0.2.11", "192.0.2.12", "192.0.2.13"
    assert order(ask(e, "multi.example")) == [a, b, c]
    assert order(ask(e, "MULTI.example", transport="tcp")) == [b, c, a]
    assert order(ask(e, "multi.example", use_edns=0)) == [c, a, b]  # EDNS: full path
    # AAAA has its own position; A is not moved by AAAA queries
    assert order(ask(e, "multi.example", "AAAA")) == ["2001:db8::11", "2001:db8::12"]
    assert order(ask(e, "multi.example", "AAAA")) == ["2001:db8::12", "2001:db8::11"]
    assert order(ask(e, "multi.example")) == [a, b, c]


def test_host_record_rotates_but_address_rules_and_any_do_not() -> None:
    e = rr_engine()
    hr = [order(ask(e, "hr.example")) for _ in range(3)]
    first, second = ["198.51.100.7", "198.51.100.8"], ["198.51.100.8", "198.51.100.7"]
    assert hr == [first, second, first]
    ads = [order(ask(e, "x.ads.example")) for _ in range(3)]
    assert ads == [["203.0.113.1", "203.0.113.2"]] * 3
    anys = [order(ask(e, "multi.example", "ANY")) for _ in range(2)]
    assert anys[0] == anys[1]


def test_no_round_robin_keeps_file_order() -> None:
    e = rr_engine(no_round_robin=True)
    got = [order(ask(e, "multi.example")) for _ in range(3)]
    assert got == [["192.0.2.11", "192.0.2.12", "192.0.2.13"]] * 3


def test_large_answers_rotate_without_prerendering_every_order() -> None:
    e = engine()  # big.example: 120 addresses, more than ROTATE_PRERENDER
    first = [order(ask(e, "big.example", transport="tcp"))[0] for _ in range(3)]
    assert first == ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    assert len(order(ask(e, "big.example", transport="tcp"))) == 120


def test_clear_cache_restarts_rotation() -> None:
    e = rr_engine()
    ask(e, "multi.example")
    e.clear_cache()
    assert order(ask(e, "multi.example"))[0] == "192.0.2.11"


# ---- --localise-queries (localise.py) ------------------------------------------------------

LOC_HOSTS = "192.0.2.21 loc.example\n198.51.100.21 loc.example\n198.51.100.22 loc.example\n"
LOC_HOSTS += "2001:db8::21 loc.example\n2001:db8::22 loc.example\n203.0.113.9 one.example\n"
NET_A = ipaddress.IPv4Network("192.0.2.0/24")
NET_B = ipaddress.IPv4Network("198.51.100.0/24")


def loc_engine(**kw: object) -> DnsEngine:
    cfg = DnsCfg(no_hosts=True, no_resolv=True, **kw)  # type: ignore[arg-type]
    return DnsEngine(
        cfg, build_local(cfg, [parse_hosts(LOC_HOSTS, "/etc/hosts")]), rng=random.Random(0)
    )


def ask_on(e: DnsEngine, net: ipaddress.IPv4Network | None, rdtype: str = "A") -> list[str]:
    q = dns.message.make_query("loc.example", rdtype)
    out = e.on_query(q.to_wire(), PEER, 0.0, "udp", None, net)
    assert out is not None
    return order(dns.message.from_wire(out))


def test_localise_answers_the_addresses_of_the_arrival_subnet() -> None:
    e = loc_engine(localise_queries=True)
    for _ in range(2):  # the second round is answered from the pre-rendered answers
        assert ask_on(e, NET_A) == ["192.0.2.21"]
        assert sorted(ask_on(e, NET_B)) == ["198.51.100.21", "198.51.100.22"]
        assert len(ask_on(e, ipaddress.IPv4Network("203.0.113.0/24"))) == 3  # none inside
        assert len(ask_on(e, None)) == 3  # subnet unknown (wildcard UDP socket)
    assert ask_on(e, NET_A, "ANY")[0] == "192.0.2.21"
    assert len(ask_on(e, NET_A, "ANY")) == 3  # the A part only: one A, both AAAA
    assert len(ask_on(e, NET_A, "AAAA")) == 2  # IPv4 only, as dnsmasq 2.90


def test_localised_answers_rotate_per_subnet() -> None:
    e = loc_engine(localise_queries=True)
    first = ask_on(e, NET_B)
    assert ask_on(e, NET_A) == ["192.0.2.21"]
    assert ask_on(e, NET_B) == first[1:] + first[:1]


def test_without_localise_every_subnet_gets_every_address() -> None:
    e = loc_engine()
    assert len(ask_on(e, NET_A)) == 3
    assert len(ask_on(e, NET_B)) == 3
