"""lanctl.dns.synth: --synth-domain names both ways and --interface-name addresses."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from typing import Any

import pytest

from lanctl.config.grammar import dynamic_host, interface_name, synth_domain
from lanctl.config.model import DnsCfg
from lanctl.dns import synth as synth_mod
from lanctl.dns.local import build_local
from lanctl.dns.synth import build_synth, interface_rows, synth_rrs
from lanctl.dns.wire import QType, encode_name
from lanctl.errors import COMMAND_LINE as W


def synths(*specs: str) -> tuple[synth_mod.Synth, ...]:
    return build_synth(DnsCfg(synth_domain=tuple(synth_domain(s, W) for s in specs)))


def packed(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def test_forward_and_reverse_with_prefix() -> None:
    (s,) = synths("syn.example,192.0.2.0/24,host-")
    assert s.forward(b"host-192-0-2-5.syn.example") == packed("192.0.2.5")
    assert s.forward(b"host-192-0-3-5.syn.example") is None  # outside the range
    assert s.forward(b"host-192-000-2-5.syn.example") is None  # not an address
    assert s.forward(b"192-0-2-5.syn.example") is None  # prefix missing
    assert s.forward(b"a.host-192-0-2-5.syn.example") is None
    assert s.reverse(packed("192.0.2.5")) == "host-192-0-2-5.syn.example"
    assert s.reverse(packed("198.51.100.1")) is None
    assert s.reverse(packed("2001:db8::1")) is None


def test_sequential_names() -> None:
    (s,) = synths("seq.example,198.51.100.50,198.51.100.70,internal-*")
    assert s.forward(b"internal-0.seq.example") == packed("198.51.100.50")
    assert s.forward(b"internal-05.seq.example") == packed("198.51.100.55")
    assert s.forward(b"internal-20.seq.example") == packed("198.51.100.70")
    assert s.forward(b"internal-21.seq.example") is None
    assert s.forward(b"internal-x.seq.example") is None
    assert s.reverse(packed("198.51.100.55")) == "internal-5.seq.example"
    (v6,) = synths("v6s.example,2001:db8:1::/64,n-*")
    assert v6.forward(b"n-16.v6s.example") == packed("2001:db8:1::10")
    assert v6.reverse(packed("2001:db8:1::ff")) == "n-255.v6s.example"


def test_ipv6_names_and_leading_zero_without_prefix() -> None:
    (s,) = synths("v6.example,::/0")
    assert s.reverse(packed("2001:db8::a:5")) == "2001-db8--a-5.v6.example"
    assert s.reverse(packed("::1")) == "0--1.v6.example"
    assert s.forward(b"0--1.v6.example") == packed("::1")
    assert s.forward(b"2001-db8--a-5.v6.example") == packed("2001:db8::a:5")


def test_synth_rrs_by_type() -> None:
    table = synths("syn.example,192.0.2.0/24,host-")
    name = b"host-192-0-2-5.syn.example"
    (rr,) = synth_rrs(table, encode_name(name.decode()), name, QType.A, 9)
    assert (rr.rtype, rr.ttl, rr.rdata) == (QType.A, 9, packed("192.0.2.5"))
    assert synth_rrs(table, encode_name(name.decode()), name, QType.AAAA, 9) == []
    assert synth_rrs(table, encode_name(name.decode()), name, QType.TXT, 9) == []
    qname = encode_name("5.2.0.192.in-addr.arpa")
    (ptr,) = synth_rrs(table, qname, b"5.2.0.192.in-addr.arpa", QType.PTR, 0)
    assert ptr.rdata == encode_name("host-192-0-2-5.syn.example")


def test_hosts_names_beat_synthesised_ptr() -> None:
    from lanctl.config.grammar import host_record

    cfg = DnsCfg(
        synth_domain=(synth_domain("syn.example,192.0.2.0/24", W),),
        host_record=(host_record("named.example,192.0.2.7", W),),
    )
    data = build_local(cfg, [])
    ans = data.answer(encode_name("7.2.0.192.in-addr.arpa"), QType.PTR)
    assert ans is not None and ans.rrs[0].rdata == encode_name("named.example")
    ans = data.answer(encode_name("8.2.0.192.in-addr.arpa"), QType.PTR)
    assert ans is not None and ans.rrs[0].rdata == encode_name("192-0-2-8.syn.example")


IP_JSON = [
    {"ifname": "lo", "addr_info": [{"local": "127.0.0.1"}, {"local": "::1"}]},
    {
        "ifname": "eth9",
        "addr_info": [
            {"local": "192.0.2.2", "prefixlen": 24},
            {"local": "fe80::1", "prefixlen": 64},
            {"local": "2001:db8::2", "prefixlen": 64},
        ],
    },
]


def test_interface_rows_filter_family_and_link_local(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
        assert args[:2] == ["ip", "-j"]
        return subprocess.CompletedProcess(args, 0, json.dumps(IP_JSON).encode(), b"")

    monkeypatch.setattr(subprocess, "run", fake_run)
    cfg = DnsCfg(
        interface_name=tuple(
            interface_name(x, W) for x in ("e.example,eth9", "e4.example,eth9/4", "n.example,no0")
        ),
        dynamic_host=tuple(
            dynamic_host(x, W) for x in ("d.example,0.0.0.8,::1:8,eth9", "l.example,0.0.1.9,lo")
        ),
    )
    assert interface_rows(cfg) == [
        ("e.example", packed("192.0.2.2")),
        ("e.example", packed("2001:db8::2")),
        ("e4.example", packed("192.0.2.2")),
        ("d.example", packed("192.0.2.8")),
        ("d.example", packed("2001:db8::1:8")),
        ("l.example", packed("127.0.0.1")),  # lo has no prefix length here: /32
    ]


def test_interface_addresses_without_ip_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: list[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
        raise FileNotFoundError(args[0])

    monkeypatch.setattr(subprocess, "run", broken)
    assert synth_mod.interface_addresses() == {}
