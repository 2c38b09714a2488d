"""dnsmasq 2.90 DNS options compared on the wire: dnsmasq and lanctl as forwarders in front
of one recording upstream (tests/dns/recording_upstream.py) that logs every query it gets.

cli 192.0.2.250 -- srv 192.0.2.1 (dnsmasq on :53, lanctl on :5300) -- up 198.51.100.53.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.dns.test_forwarding_e2e import (
    REPO,
    Net,
    answers,
    dig,
    dnsmasq_forwarder,
    lanctl,
    net,
    status,
    summary,
    wait_port,
)

__all__ = ["net"]  # the fixture, re-exported for pytest
UP = "198.51.100.53"


def recorder(n: Net, ttl: int = 300) -> Path:
    log = n.work / "recorder.log"
    log.touch()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "tests.dns.recording_upstream", UP, str(log), str(ttl)]
    proc = n.up.popen(argv, env=env, cwd=REPO)
    wait_port(n.up, proc, log, UP, 53)
    return log


def received(log: Path, name: str | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    want = None if name is None else name.lower().rstrip(".")
    return [r for r in rows if want is None or r.get("name", "").lower().rstrip(".") == want]


def wait_received(log: Path, name: str, count: int) -> list[dict[str, Any]]:
    """Poll the recorder's log until `name` was asked `count` times (5 s at most)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = received(log, name)
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"{name} asked {len(received(log, name))} times, not {count}")


def both(n: Net, *lines: str) -> tuple[Any, Any]:
    """dnsmasq on :53 and lanctl on :5300 with the same options, both forwarding to UP."""
    common = (f"server={UP}", *lines)
    return dnsmasq_forwarder(n, *common, port=53), lanctl(n, *common, port=5300)


def test_use_stale_cache_like_dnsmasq(net: Net) -> None:
    log = recorder(net, ttl=1)
    theirs, ours = both(net, "use-stale-cache=60")
    for port, name in ((53, "d.example"), (5300, "l.example")):
        first = answers(dig(net, name, port=port))
        assert first == [(f"{name}.", 1, "203.0.113.1")]
    time.sleep(2.1)  # TESTING.md §3: let the 1 s TTL run out
    for port, name in ((53, "d.example"), (5300, "l.example")):
        stale = answers(dig(net, name, port=port))
        assert stale == [(f"{name}.", 0, "203.0.113.1")], port  # stale, TTL 0
        wait_received(log, name, 2)  # the background refresh reached the upstream
    for port, name in ((53, "d.example"), (5300, "l.example")):
        deadline = time.monotonic() + 5
        while answers(dig(net, name, port=port))[0][2] != "203.0.113.2":
            assert time.monotonic() < deadline, port  # the refreshed answer is served
            time.sleep(0.05)
    assert theirs.poll() is None and ours.poll() is None


def test_stale_entry_past_the_excess_is_forwarded_like_dnsmasq(net: Net) -> None:
    log = recorder(net, ttl=1)
    both(net, "use-stale-cache=1")
    for port, name in ((53, "d.example"), (5300, "l.example")):
        assert status(dig(net, name, port=port)) == "NOERROR"
    time.sleep(3.1)  # expired by more than the 1 s excess: not served stale
    for port, name in ((53, "d.example"), (5300, "l.example")):
        assert answers(dig(net, name, port=port)) == [(f"{name}.", 1, "203.0.113.2")], port
        assert len(received(log, name)) == 2


def same_as_dnsmasq(n: Net, log: Path, queries: list[tuple[str, ...]]) -> None:
    """Ask each (name, type, dig options...) of both forwarders, under a "d-"/"l-" name
    each so the upstream's per-name counters match; compare rcode, flags, every record
    dig prints (answer and additional) and how often the upstream was asked."""
    for name, *rest in queries:
        got: dict[int, object] = {}
        for port, tag in ((53, "d"), (5300, "l")):
            out = dig(n, f"{tag}-{name}", *rest, "+notcp", port=port)
            # TTLs are left out: a cached answer's age depends on when the second ticks.
            rows = sorted((r[0].removeprefix(f"{tag}-"), r[2]) for r in answers(out))
            got[port] = (summary(out)[:2], rows, len(received(log, f"{tag}-{name}")))
        assert got[5300] == got[53], (name, *rest)


def test_filter_a_aaaa_rr_on_any_answers_like_dnsmasq(net: Net) -> None:
    log = recorder(net)
    both(net, "filter-A", "filter-rr=TXT,HINFO")
    same_as_dnsmasq(net, log, [
        ("any.example", "ANY"), ("any.example", "ANY", "+noedns"), ("a.example", "A"),
        ("a.example", "AAAA"), ("t.example", "TXT"), ("m.example", "MX"),
        ("h.example", "HINFO"), ("nx.example", "A"),
    ])  # fmt: skip


def test_filter_rr_any_like_dnsmasq(net: Net) -> None:
    log = recorder(net)
    both(net, "filter-rr=ANY", "filter-AAAA")
    same_as_dnsmasq(net, log, [
        ("any.example", "ANY"), ("t.example", "TXT"), ("v6.example", "AAAA"), ("m.example", "MX"),
    ])  # fmt: skip


def test_cached_types_default_and_cache_rr_like_dnsmasq(net: Net) -> None:
    log = recorder(net)
    both(net, "cache-rr=TXT,HINFO")
    twice = [("a.example", "A"), ("s.example", "SRV"), ("t.example", "TXT"),
             ("h.example", "HINFO"), ("m.example", "MX"), ("c.example", "CNAME"),
             ("p.example", "PTR"), ("any.example", "ANY")]  # fmt: skip
    same_as_dnsmasq(net, log, twice + twice)  # the upstream counts show what was cached


def test_no_ident_like_dnsmasq(net: Net) -> None:
    recorder(net)
    both(net, "no-ident")
    for q in (("version.bind",), ("hits.bind",), ("servers.bind",), ("version.bind", "+noedns")):
        want = dig(net, "CH", "TXT", *q, port=53)
        got = dig(net, "CH", "TXT", *q, port=5300)
        assert summary(got) == summary(want) and summary(want)[0] == "NOTIMP", q
        assert ("OPT PSEUDOSECTION" in got) == ("OPT PSEUDOSECTION" in want), q


def test_servers_file_reread_on_sighup_like_dnsmasq(net: Net) -> None:
    recorder(net)
    path = net.work / "servers.conf"
    path.write_text(f"server=/a.example/{UP}\n")
    path.chmod(0o644)
    procs = (
        dnsmasq_forwarder(net, f"servers-file={path}", port=53),
        lanctl(net, f"servers-file={path}", port=5300),
    )
    for port in (53, 5300):
        assert status(dig(net, "x.a.example", port=port)) == "NOERROR", port
        assert status(dig(net, "x.b.example", port=port)) == "REFUSED", port
    path.write_text(f"server=/b.example/{UP}\n")
    for proc in procs:
        proc.send_signal(signal.SIGHUP)
    for port in (53, 5300):
        deadline = time.monotonic() + 5
        while status(dig(net, "y.b.example", port=port)) != "NOERROR":
            assert time.monotonic() < deadline, port  # the reload takes effect
            time.sleep(0.05)
        assert status(dig(net, "y.a.example", port=port)) == "REFUSED", port
    assert all(p.poll() is None for p in procs)


DNSSEC_ASKS: list[tuple[str, ...]] = [
    ("ad1.example", "A"), ("ad1.example", "A"), ("ad2.example", "A", "+dnssec"),
    ("ad2.example", "A", "+dnssec"), ("ad3.example", "A", "+noedns"), ("ad4.example", "A", "+cd"),
    ("sig1.example", "A", "+dnssec"), ("sig1.example", "A"), ("sig1.example", "A", "+dnssec"),
]  # fmt: skip


def types_and_flags(out: str) -> tuple[str, str, list[str]]:
    st, flags, _ = summary(out)
    kinds = sorted(line.split()[3] for line in out.splitlines()
                   if line and not line.startswith(";") and len(line.split()) > 4)  # fmt: skip
    return st, flags, kinds


@pytest.mark.parametrize("lines", [(), ("proxy-dnssec",)], ids=["default", "proxy-dnssec"])
def test_ad_bit_and_dnssec_records_like_dnsmasq(net: Net, lines: tuple[str, ...]) -> None:
    """Names "ad*" get AD from the upstream, "sig*" an RRSIG and AD for DO queries."""
    log = recorder(net)
    both(net, *lines)
    for name, *args in DNSSEC_ASKS:
        got = {}
        for port, tag in ((53, "d"), (5300, "l")):
            # The recorder keys AD/RRSIG on the name's start: the tag goes last.
            qname = name.replace(".example", f"-{tag}.example")
            out = dig(net, qname, *args, "+notcp", port=port)
            got[port] = (types_and_flags(out), len(received(log, qname)))
        assert got[5300] == got[53], (name, *args)


REFLECTOR = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.53", 53))
target = ("198.51.100.1", int(sys.argv[1]))
while True:
    data, _ = s.recvfrom(4096)
    s.sendto(data, target)  # every query goes straight back to the forwarder: a loop
"""


@pytest.mark.parametrize("port", [53, 5300], ids=["dnsmasq", "lanctl"])
def test_dns_loop_detect_disables_the_looping_server(net: Net, port: int) -> None:
    """198.51.100.53 sends every query back; 198.51.100.54 answers.  With --strict-order
    every query would go to .53 first: only a disabled .53 lets x.example be answered."""
    good = net.work / "good.log"
    good.touch()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "tests.dns.recording_upstream", "198.51.100.54", str(good)]
    wait_port(net.up, net.up.popen(argv, env=env, cwd=REPO), good, "198.51.100.54", 53)
    loop = net.up.popen([sys.executable, "-c", REFLECTOR, str(port)])
    wait_port(net.up, loop, good, UP, 53)
    lines = ("server=198.51.100.53", "server=198.51.100.54", "strict-order",
             "dns-loop-detect", "listen-address=198.51.100.1")  # fmt: skip
    if port == 53:
        proc = dnsmasq_forwarder(net, *lines, port=port)
    else:
        proc = lanctl(net, *lines, port=port)
    deadline = time.monotonic() + 5
    while answers(dig(net, "x.example", port=port, wait=1)) != [("x.example.", 300, "203.0.113.1")]:
        assert time.monotonic() < deadline, "the looping server was not disabled"
        time.sleep(0.1)
    texts = answers(dig(net, "CH", "TXT", "servers.bind", port=port))[0][2]
    assert texts == '"198.51.100.53#53 0 0" "198.51.100.54#53 1 0"'
    tests = [r for r in received(good) if r["name"].endswith(".test.")]
    assert len(tests) == 1 and tests[0]["type"] == "TXT"  # .54 got its test query too
    assert proc.poll() is None
