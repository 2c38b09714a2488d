"""lanctl.dns.rewrite: --ignore-address, --bogus-nxdomain and --alias on forwarded replies,
in virtual time through the engine, and against real dnsmasq with a dnsmasq upstream."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from lanctl.config.grammar import alias_spec, ip_prefix
from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import Send
from lanctl.dns.local import LocalData
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.rewrite import Doctor
from lanctl.errors import COMMAND_LINE as W
from tests.dns.test_forward import query, specs
from tests.dns.test_server_loopback import config, dig, dnsmasq, run_server, summary
from tests.support import free_port, require_tool

__all__ = ["dnsmasq"]


def engine(**kw: object) -> DnsEngine:
    cfg = DnsCfg(no_resolv=True, server=tuple(specs("198.51.100.53")), **kw)  # type: ignore[arg-type]
    return DnsEngine(cfg, LocalData(), rng=random.Random(3))


def answer(send: Send, *addrs: str, aa: bool = True) -> bytes:
    q = dns.message.from_wire(send.data)
    r = dns.message.make_response(q)
    if aa:
        r.flags |= dns.flags.AA
    for addr in addrs:
        rdtype = "AAAA" if ":" in addr else "A"
        r.answer.append(dns.rrset.from_text(q.question[0].name, 300, "IN", rdtype, addr))
    return r.to_wire()


def ask(e: DnsEngine, name: str, rdtype: str = "A") -> Send:
    assert e.on_query(query(name, 7, rdtype), ("192.0.2.250", 1), 0.0, dest="c") == FORWARDED
    (send,), _, _ = e.take_actions()
    return send


def test_doctor_mask_and_range() -> None:
    one = Doctor(int.from_bytes(bytes([192, 0, 2, 10])), None, 0xCB00710A, 0xFFFFFFFF)
    assert one.apply(int.from_bytes(bytes([192, 0, 2, 10]))) == 0xCB00710A
    assert one.apply(int.from_bytes(bytes([192, 0, 2, 11]))) is None
    net = Doctor(0x0A010000, None, 0xC6330000, 0xFFFF0000)  # 10.1/16 -> 198.51/16
    assert net.apply(0x0A010203) == 0xC6330203
    rng = Doctor(0xC000021E, 0xC0000232, 0xCB007100, 0xFFFFFF00)
    assert rng.apply(0xC0000228) == 0xCB007128 and rng.apply(0xC0000233) is None


def test_ignore_address_waits_for_another_reply() -> None:
    e = engine(ignore_address=(ip_prefix("198.51.100.0/28", W),))
    send = ask(e, "ign.example")
    e.on_upstream(send.token, answer(send, "198.51.100.9"), 0.1)
    assert e.take_actions() == ([], [], [])  # dropped as if never received
    assert e.stats()["upstream_ignored"] == 1
    e.on_upstream(send.token, answer(send, "203.0.113.9"), 0.2)
    (_, _, ((_, data),)) = e.take_actions()
    assert dns.message.from_wire(data).answer[0][0].address == "203.0.113.9"


def test_bogus_nxdomain_gives_uncached_nxdomain() -> None:
    e = engine(bogus_nxdomain=(ip_prefix("192.0.2.66", W), ip_prefix("2001:db8::66", W)))
    for rdtype, addr in (("A", "192.0.2.66"), ("AAAA", "2001:db8::66")):
        send = ask(e, "bogus.example", rdtype)
        e.on_upstream(send.token, answer(send, "192.0.2.1", addr), 0.1)
        (_, _, ((_, data),)) = e.take_actions()
        msg = dns.message.from_wire(data)
        assert msg.rcode() == dns.rcode.NXDOMAIN and not msg.answer
        assert not msg.flags & dns.flags.AA
    assert e.cache.insertions == 0
    send = ask(e, "fine.example")
    e.on_upstream(send.token, answer(send, "192.0.2.67"), 0.1)
    (_, _, ((_, data),)) = e.take_actions()
    assert dns.message.from_wire(data).rcode() == dns.rcode.NOERROR


def test_alias_rewrites_a_records_and_clears_aa() -> None:
    e = engine(alias=(alias_spec("10.1.0.0,198.51.0.0,255.255.0.0", W),))
    send = ask(e, "alm.example")
    e.on_upstream(send.token, answer(send, "10.1.2.3", "10.2.0.1"), 0.1)
    (_, _, ((_, data),)) = e.take_actions()
    msg = dns.message.from_wire(data)
    assert [r.address for r in msg.answer[0]] == ["198.51.2.3", "10.2.0.1"]
    assert not msg.flags & dns.flags.AA
    cached = dns.message.from_wire(e.on_query(query("alm.example", 8), ("c", 1), 1.0) or b"")
    assert [r.address for r in cached.answer[0]] == ["198.51.2.3", "10.2.0.1"]


UPSTREAM = """\
no-resolv
no-hosts
address=/bogus.example/192.0.2.66
address=/multi.example/192.0.2.66
address=/multi.example/192.0.2.67
address=/v6.example/2001:db8::66
address=/al.example/192.0.2.10
address=/alr.example/192.0.2.40
address=/alm.example/10.1.2.3
address=/ok.example/203.0.113.1
"""


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    path = tmp_path / "upstream.conf"
    path.write_text(UPSTREAM)
    proc = subprocess.Popen(
        [require_tool("dnsmasq"), "-k", f"--conf-file={path}", f"--port={port}",
         "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=", "--user=root",
         "--log-facility=-"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def conf(tmp_path: Path, upstream: int) -> Path:
    path = tmp_path / "dnsmasq.conf"
    path.write_text(
        f"no-resolv\nno-hosts\nserver=127.0.0.1#{upstream}\nbogus-nxdomain=192.0.2.66\n"
        "bogus-nxdomain=2001:db8::66\nalias=192.0.2.10,203.0.113.10\n"
        "alias=192.0.2.30-192.0.2.50,203.0.113.0,255.255.255.0\n"
        "alias=10.1.0.0,198.51.0.0,255.255.0.0\nhost-record=host1.example,192.0.2.1\n"
    )
    return path


QUERIES = [
    ("bogus.example", "A"),
    ("multi.example", "A"),
    ("v6.example", "AAAA"),
    ("al.example", "A"),
    ("alr.example", "A"),
    ("alm.example", "A"),
    ("alm.example", "A"),  # now from the cache
    ("ok.example", "A"),
]


def test_same_rewrites_as_dnsmasq(conf: Path, dnsmasq: int) -> None:
    port = free_port()
    results: list[tuple[tuple[str, str], list[str], list[str]]] = []

    async def body(handle: object) -> None:
        for q in QUERIES:
            results.append((q, summary(await dig(port, *q)), summary(await dig(dnsmasq, *q))))

    run_server(config(conf, port), body)
    assert len(results) == len(QUERIES)
    for q, ours, theirs in results:
        assert ours == theirs, q
    assert "NXDOMAIN" in results[0][1] and "al.example. 0 IN A 203.0.113.10" in results[3][1]
