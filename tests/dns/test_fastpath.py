"""fastpath.FastPath: answers by raw question bytes, the client's case and flags, cache hits."""

from __future__ import annotations

import struct

from lanctl.dns.cache import Cache, CachePolicy, cache_key
from lanctl.dns.fastpath import FastPath
from lanctl.dns.reply import parse_body, question_end
from lanctl.dns.wire import encode_name

A_RR = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x0b"  # A 192.0.2.11, 300
COUNTS = struct.pack("!HHHH", 1, 1, 0, 0)


def query(name: str, qid: int = 0x1234, flags: int = 0x0100, ar: int = 0) -> bytes:
    head = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, ar)
    return head + encode_name(name) + b"\x00\x01\x00\x01"


def key(name: str) -> bytes:
    return encode_name(name.lower()) + b"\x00\x01\x00\x01"


def fast_with_local() -> FastPath:
    fp = FastPath(Cache(CachePolicy(size=0)))
    fp.local[key("host1.example")] = (COUNTS, A_RR)
    return fp


def test_local_answer_copies_id_flags_and_question_case() -> None:
    fp = fast_with_local()
    for name in ("host1.example", "HoSt1.Example"):
        q = query(name)
        r = fp.query(q, 0.0)
        assert r == q[:2] + b"\x85\x80" + COUNTS + q[12:] + A_RR
    rd0_cd = query("host1.example", flags=0x0010)  # RD clear, CD set
    r = fp.query(rd0_cd, 0.0)
    assert r is not None and r[2:4] == b"\x84\x90"
    assert fp.hits == 3 and fp.cache_hits == 0


def test_anything_but_a_plain_known_query_takes_the_full_path() -> None:
    fp = fast_with_local()
    assert fp.query(query("other.example"), 0.0) is None
    assert fp.query(query("host1.example", ar=1), 0.0) is None  # EDNS: full path
    assert fp.query(query("host1.example", flags=0x8100), 0.0) is None  # a response
    assert fp.query(query("host1.example", flags=0x0900), 0.0) is None  # opcode 1
    assert fp.query(b"\x12\x34\x01", 0.0) is None  # runt
    assert fp.hits == 0
    fp.clear()
    assert fp.query(query("host1.example"), 0.0) is None


def test_cache_hits_take_upstream_ad_and_rcode_and_aa_only_without_rd() -> None:
    cache = Cache(CachePolicy(size=10))
    q = query("fwd.example")
    upstream = struct.pack("!HHHHHH", 7, 0x81A0, 1, 1, 0, 0) + q[12:] + A_RR  # RA AD
    body = parse_body(upstream, question_end(upstream))
    assert cache.store(cache_key(encode_name("fwd.example"), 1, 1, False), body, 10.0, "up")
    fp = FastPath(cache)
    r = fp.query(query("FWD.example"), 12.5)
    assert r is not None
    assert r[:4] == b"\x12\x34\x81\xa0"  # QR RD, RA AD, no AA with RD
    assert r[4:12] == COUNTS and r[12:-16] == query("FWD.example")[12:]
    assert struct.unpack_from("!I", r, len(r) - 10)[0] == 298  # two whole seconds later
    r = fp.query(query("fwd.example", flags=0x0010), 12.5)  # RD clear, CD set
    assert r is not None and r[2:4] == b"\x84\xb0"
    assert fp.hits == fp.cache_hits == 2
    assert fp.query(query("fwd.example"), 400.0) is None  # expired: the full path decides
