"""lanctl.dns.records and their answers through LocalData, as dnsmasq 2.90 gives them."""

from __future__ import annotations

from pathlib import Path

import dns.message
import dns.rdatatype
import pytest

from lanctl.config import load
from lanctl.config.model import DnsCfg
from lanctl.dns.answers import render_local
from lanctl.dns.hosts import parse_hosts
from lanctl.dns.local import LocalData, build_local
from lanctl.dns.records import build_records, char_strings
from lanctl.dns.wire import QType, encode_name
from lanctl.errors import ConfigError

CONF = """\
no-resolv
no-hosts
local-ttl=60
host-record=rec.example,198.51.100.1,2001:db8::10
cname=al.example,Al2.example,Rec.example,33
cname=chain.example,al.example
cname=far.example,nowhere.example
txt-record=txt.example,"hello, world",second
txt-record=empty.example
ptr-record=1.100.51.198.in-addr.arpa,override.example
ptr-record=nodata.example
srv-host=_ldap._tcp.example,ldap.example,389,1,2
srv-host=_none._tcp.example
mx-host=mx.example,mail.example,5
mx-host=mx2.example
mx-target=tgt.example
naptr-record=naptr.example,100,10,S,SIP+D2U,,_sip._udp.example
caa-record=caa.example,128,issue,ca.example
dns-rr=rr.example,65280,01:02
address=/blocked.example/
txt-record=t.blocked.example,x
"""


def dns_cfg(tmp_path: Path, text: str = CONF) -> DnsCfg:
    path = tmp_path / "d.conf"
    path.write_text(text)
    return load([f"--conf-file={path}"]).dns


def local(tmp_path: Path, text: str = CONF, hosts: str = "") -> LocalData:
    return build_local(dns_cfg(tmp_path, text), [parse_hosts(hosts, "/etc/hosts")])


def reply(data: LocalData, name: str, qtype: int) -> dns.message.Message | None:
    """The rendered answer, parsed by dnspython (checks the wire form too)."""
    ans = data.answer(encode_name(name.lower()), qtype)
    if ans is None:
        return None
    r = render_local(ans, qtype)
    q = dns.message.make_query(name, dns.rdatatype.RdataType(qtype))
    wire = q.to_wire()
    header = wire[:2] + bytes((0x84, r.flags & 0xF)) + b"\x00\x01" + len(r.ends).to_bytes(2)
    return dns.message.from_wire(header + b"\x00\x00\x00\x00" + wire[12:] + r.rrs)


def lines(msg: dns.message.Message | None) -> list[str]:
    assert msg is not None
    return [" ".join(str(rrset).split()) for rrset in msg.answer]


def test_char_strings_split_at_255_octets() -> None:
    assert char_strings("") == b"\x00"
    assert char_strings("ab") == b"\x02ab"
    long = char_strings("x" * 300)
    assert long == b"\xff" + b"x" * 255 + b"\x2d" + b"x" * 45


def test_cname_chain_to_local_name_with_ttls(tmp_path: Path) -> None:
    data = local(tmp_path)
    assert lines(reply(data, "chain.example", QType.A)) == [
        "chain.example. 60 IN CNAME al.example.",
        "al.example. 33 IN CNAME Rec.example.",
        "Rec.example. 60 IN A 198.51.100.1",
    ]
    assert lines(reply(data, "AL2.example", QType.AAAA)) == [
        "AL2.example. 33 IN CNAME Rec.example.",
        "Rec.example. 60 IN AAAA 2001:db8::10",
    ]
    # A CNAME query stops at the first record; other types follow the chain.
    assert lines(reply(data, "chain.example", QType.CNAME)) == [
        "chain.example. 60 IN CNAME al.example."
    ]
    assert lines(reply(data, "al.example", QType.TXT)) == ["al.example. 33 IN CNAME Rec.example."]
    # A target that is not local: the CNAME alone (dnsmasq does not forward it).
    assert lines(reply(data, "far.example", QType.A)) == [
        "far.example. 60 IN CNAME nowhere.example."
    ]


def test_cname_chain_has_no_length_limit(tmp_path: Path) -> None:
    chain = "".join(f"cname=d{i}.example,d{i + 1}.example\n" for i in range(15))
    text = "host-record=d15.example,192.0.2.9\n" + chain
    out = lines(reply(local(tmp_path, text), "d0.example", QType.A))
    assert len(out) == 16 and out[-1] == "d15.example. 0 IN A 192.0.2.9"


def test_cname_loop_is_refused_like_dnsmasq(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CNAME loop involving b\.example") as err:
        dns_cfg(tmp_path, "cname=a.example,b.example\ncname=b.example,c.example,a.example\n")
    assert "line 2" in str(err.value)


def test_records_answer_their_type_and_any_only(tmp_path: Path) -> None:
    data = local(tmp_path)
    assert lines(reply(data, "txt.example", QType.TXT)) == [
        'txt.example. 60 IN TXT "hello, world" "second"'
    ]
    assert lines(reply(data, "empty.example", QType.TXT)) == ['empty.example. 60 IN TXT ""']
    assert data.answer(encode_name("txt.example"), QType.A) is None  # not local: forwarded
    assert lines(reply(data, "txt.example", QType.ANY)) == [
        'txt.example. 60 IN TXT "hello, world" "second"'
    ]
    assert lines(reply(data, "_ldap._tcp.example", QType.SRV)) == [
        "_ldap._tcp.example. 60 IN SRV 1 2 389 ldap.example."
    ]
    assert lines(reply(data, "_none._tcp.example", QType.SRV)) == [
        "_none._tcp.example. 60 IN SRV 0 0 1 ."
    ]
    assert lines(reply(data, "mx.example", QType.MX)) == ["mx.example. 60 IN MX 5 mail.example."]
    assert lines(reply(data, "mx2.example", QType.MX)) == ["mx2.example. 60 IN MX 1 tgt.example."]
    assert lines(reply(data, "naptr.example", 35)) == [
        'naptr.example. 60 IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.example.'
    ]
    assert lines(reply(data, "caa.example", 257)) == [
        'caa.example. 60 IN CAA 128 issue "ca.example"'
    ]
    assert lines(reply(data, "rr.example", 65280)) == ["rr.example. 60 IN TYPE65280 \\# 2 0102"]
    assert lines(reply(data, "nodata.example", QType.PTR)) == ["nodata.example. 60 IN PTR ."]


def test_ptr_record_beats_host_record_ptr(tmp_path: Path) -> None:
    data = local(tmp_path)
    assert lines(reply(data, "1.100.51.198.in-addr.arpa", QType.PTR)) == [
        "1.100.51.198.in-addr.arpa. 60 IN PTR override.example."
    ]


def test_record_under_local_rule_and_nodata(tmp_path: Path) -> None:
    data = local(tmp_path)
    assert lines(reply(data, "t.blocked.example", QType.TXT)) == [
        't.blocked.example. 60 IN TXT "x"'
    ]
    ans = data.answer(encode_name("t.blocked.example"), QType.A)
    assert ans is not None and ans.rcode == 0 and not ans.rrs  # exists: NODATA
    ans = data.answer(encode_name("u.blocked.example"), QType.A)
    assert ans is not None and ans.rcode == 3


def test_localmx_and_selfmx(tmp_path: Path) -> None:
    base = "host-record=a.example,192.0.2.1\nhost-record=b.example,192.0.2.2\n"
    base += "mx-host=b.example,other.example,7\n"
    data = local(tmp_path, base + "localmx\nmx-target=tgt.example\n", "192.0.2.3 c.example\n")
    assert lines(reply(data, "a.example", QType.MX)) == ["a.example. 0 IN MX 1 tgt.example."]
    assert lines(reply(data, "c.example", QType.MX)) == ["c.example. 0 IN MX 1 tgt.example."]
    assert lines(reply(data, "b.example", QType.MX)) == ["b.example. 0 IN MX 7 other.example."]
    assert data.answer(encode_name("nx.example"), QType.MX) is None
    data = local(tmp_path, base + "selfmx\n")
    assert lines(reply(data, "a.example", QType.MX)) == ["a.example. 0 IN MX 1 a.example."]
    assert set(lines(reply(data, "a.example", QType.ANY))) == {
        "a.example. 0 IN A 192.0.2.1",
        "a.example. 0 IN MX 1 a.example.",
    }
    assert local(tmp_path, base).answer(encode_name("a.example"), QType.MX) is None


def test_dump_lists_records(tmp_path: Path) -> None:
    rows = set(local(tmp_path).dump())
    assert ("al2.example", "CNAME", "Rec.example", "config") in rows
    assert ("txt.example", "TXT", "<TXT>", "config") in rows


def test_build_records_keys_are_lowercase(tmp_path: Path) -> None:
    recs = build_records(dns_cfg(tmp_path))
    assert recs.cnames[b"al2.example"] == (b"rec.example", "Rec.example", 33)
    assert [rr.rtype for rr in recs.get(b"txt.example", QType.ANY)] == [QType.TXT]


def test_static_records_and_cname_chains_use_the_fast_path(tmp_path: Path) -> None:
    import random

    from lanctl.dns.engine import DnsEngine

    cfg = dns_cfg(tmp_path)
    e = DnsEngine(cfg, build_local(cfg, []), rng=random.Random(1))
    for name, rdtype in (("chain.example", "A"), ("txt.example", "TXT")):
        q = dns.message.make_query(name, rdtype, use_edns=False)
        first = e.on_query(q.to_wire(), ("192.0.2.9", 1), 0.0)
        q.id ^= 0x55
        second = e.on_query(q.to_wire(), ("192.0.2.9", 1), 0.0)
        assert first and second and first[2:] == second[2:] and second[:2] != first[:2]
    assert e.fast_hits == 2
    msg = dns.message.from_wire(second or b"")
    assert lines(msg) == ['txt.example. 60 IN TXT "hello, world" "second"']
