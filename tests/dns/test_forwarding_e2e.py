"""Forwarding end to end in namespaces (TESTING.md §1 and §3): dig/kdig -> lanctl -> upstreams.

cli 192.0.2.250 -- srv 192.0.2.1 / 198.51.100.1 (lanctl dns serve) -- up 198.51.100.53, .54
(real dnsmasq instances with address= data, or a small Python responder for misbehaviour).
Upstream dnsmasq logs (`query[A] NAME from ADDR`) prove how often a query was forwarded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import require_tool
from tests.support.netns import Lab, Namespace

REPO = Path(__file__).resolve().parents[2]
SERVER = "192.0.2.1"


@dataclass
class Net:
    cli: Namespace
    srv: Namespace
    up: Namespace
    work: Path


@pytest.fixture
def net(netns: Lab, tmp_path: Path) -> Iterator[Net]:
    require_tool("dnsmasq")
    cli, srv, up = netns("cli"), netns("srv"), netns("up")
    netns.link(cli, srv, ["192.0.2.250/24"], ["192.0.2.1/24"])
    leg = netns.link(srv, up, ["198.51.100.1/24"], ["198.51.100.53/24"])
    up.add_address(leg.b_if, "198.51.100.54/24")
    tmp_path.chmod(0o755)
    yield Net(cli, srv, up, tmp_path)


def wait_port(ns: Namespace, proc: subprocess.Popen[Any], log: Path, addr: str, port: int) -> None:
    """Poll `ss -Hlnu` until addr:port is bound; the log tail if the process died."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}: {log.read_text()[-2000:]}")
        out = ns.run(["ss", "-Hlnu"]).stdout
        local = [line.split()[3] for line in out.splitlines() if line.split()]
        if f"{addr}:{port}" in local or f"0.0.0.0:{port}" in local:
            return
        time.sleep(0.2)
    raise AssertionError(f"{addr}:{port} never bound: {log.read_text()[-2000:]}")


def upstream(net: Net, addr: str, *data: str) -> Path:
    """A dnsmasq with `data` options answering on addr:53 in the up namespace; its log."""
    log = net.work / f"up-{addr}.log"
    argv = [
        "dnsmasq", "-k", "--no-resolv", "--no-hosts", f"--listen-address={addr}",
        "--bind-interfaces", "--log-queries", f"--log-facility={log}", "--pid-file=",
        "--user=root", "--group=root", "--conf-file=/dev/null", "--local-ttl=300", *data,
    ]  # fmt: skip
    proc = net.up.popen(argv)
    log.touch()
    wait_port(net.up, proc, log, addr, 53)
    return log


def lanctl(net: Net, *lines: str, port: int = 53, name: str = "lanctl") -> subprocess.Popen[Any]:
    conf = net.work / f"{name}.conf"
    conf.write_text(
        "\n".join(
            ["no-resolv", "no-hosts", f"port={port}", f"listen-address={SERVER}", "user=",
             "pid-file=", f"control-socket={net.work}/{name}.sock", "log-facility=-",
             "log-queries", *lines]
        ) + "\n"
    )  # fmt: skip
    log = net.work / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        proc = net.srv.popen(
            [sys.executable, "-m", "lanctl", "dns", "serve", "-C", str(conf)],
            stdout=out,
            env=env,
            cwd=REPO,
        )
    wait_port(net.srv, proc, log, SERVER, port)
    return proc


def dnsmasq_forwarder(net: Net, *lines: str, port: int = 53) -> subprocess.Popen[Any]:
    log = net.work / "dnsmasq-fwd.log"
    argv = [
        "dnsmasq", "-k", "--no-resolv", "--no-hosts", f"--port={port}",
        f"--listen-address={SERVER}", "--bind-interfaces", "--pid-file=", "--user=root",
        "--group=root", "--log-facility=-", "--conf-file=/dev/null",
        *(f"--{line}" for line in lines),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = net.srv.popen(argv, stdout=out)
    wait_port(net.srv, proc, log, SERVER, port)
    return proc


def dig(net: Net, *args: str, port: int = 53, tool: str = "dig", wait: int = 2) -> str:
    limits = ("+tries=1", f"+time={wait}") if tool == "dig" else ("+retry=0", f"+timeout={wait}")
    argv = [require_tool(tool), f"@{SERVER}", "-p", str(port), *limits, *args]
    return net.cli.run(argv, check=False, timeout=wait + 10).stdout


def queries(log: Path, name: str) -> int:
    return sum(1 for line in log.read_text().splitlines() if f"] {name} from" in line)


def status(out: str) -> str:
    for line in out.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    return "NO REPLY"


def answers(out: str) -> list[tuple[str, int, str]]:
    """(name, TTL, rdata) of the answer lines."""
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if line and not line.startswith(";") and len(parts) >= 5 and parts[2] in ("IN", "CH"):
            rows.append((parts[0], int(parts[1]), " ".join(parts[4:])))
    return rows


def test_forwarded_answer_is_cached_and_ages(net: Net) -> None:
    up = upstream(net, "198.51.100.53", "--address=/example.com/203.0.113.10")
    proc = lanctl(net, "server=198.51.100.53")
    first = dig(net, "WwW.example.com", "A")
    assert status(first) == "NOERROR"
    assert answers(first) == [("WwW.example.com.", 300, "203.0.113.10")]
    second = dig(net, "www.example.com", "A", tool="kdig")
    assert answers(second)[0][2] == "203.0.113.10"
    assert queries(up, "WwW.example.com") + queries(up, "www.example.com") == 1
    time.sleep(2.1)  # TESTING.md §3: the TTL can only be seen to fall after >= 2 s
    third = dig(net, "www.example.com", "A", "+noedns")
    assert answers(third)[0][1] < 300
    assert queries(up, "www.example.com") + queries(up, "WwW.example.com") == 1
    chaos = dig(net, "CH", "TXT", "servers.bind")
    assert '"198.51.100.53#53 1 0"' in chaos
    assert proc.poll() is None


def test_per_domain_routing_and_local_names(net: Net) -> None:
    up53 = upstream(net, "198.51.100.53", "--address=/example/203.0.113.53")
    up54 = upstream(net, "198.51.100.54", "--address=/example/203.0.113.54")
    proc = lanctl(
        net, "server=/a.example/198.51.100.53", "server=/b.example/198.51.100.54",
        "local=/lan.example/",
    )  # fmt: skip
    assert answers(dig(net, "x.a.example"))[0][2] == "203.0.113.53"
    assert answers(dig(net, "x.b.example"))[0][2] == "203.0.113.54"
    assert status(dig(net, "host.lan.example")) == "NXDOMAIN"
    assert status(dig(net, "other.example")) == "REFUSED"  # no server for it
    assert (queries(up53, "x.a.example"), queries(up54, "x.b.example")) == (1, 1)
    assert queries(up53, "x.b.example") == queries(up54, "x.a.example") == 0
    for log in (up53, up54):
        assert "lan.example" not in log.read_text()
    assert proc.poll() is None


def test_upstream_down_gives_servfail(net: Net) -> None:
    # Nothing listens on .53 (ICMP port unreachable): SERVFAIL at once.  On .54 a socket
    # that never reads: SERVFAIL at the 10 s deadline.
    silent = net.up.popen(
        [sys.executable, "-c", "import socket,time\ns=socket.socket(socket.AF_INET,"
         "socket.SOCK_DGRAM)\ns.bind(('198.51.100.54',53))\ntime.sleep(60)"]
    )  # fmt: skip
    wait_port(net.up, silent, net.work / "none", "198.51.100.54", 53)
    proc = lanctl(net, "server=/down.example/198.51.100.53", "server=/slow.example/198.51.100.54")
    out = dig(net, "x.down.example", wait=5)
    assert status(out) == "SERVFAIL"
    out = dig(net, "x.slow.example", wait=15)  # no ICMP from a bound socket: the deadline
    assert status(out) == "SERVFAIL"
    # 1 sent, 0 failed: dnsmasq 2.90's "failed" counts SERVFAIL/REFUSED replies, not
    # timeouts or ICMP errors (tests/dns/test_forward_compat.py).
    servers = dig(net, "CH", "TXT", "servers.bind")
    assert '"198.51.100.54#53 1 0"' in servers and '"198.51.100.53#53 1 0"' in servers
    assert proc.poll() is None


SPOOFER = textwrap.dedent(
    """
    import socket, sys, time
    import dns.message, dns.rrset, dns.name

    def answer(data, qid_xor=0, name=None, addr="203.0.113.10"):
        r = dns.message.make_response(dns.message.from_wire(data))
        r.id ^= qid_xor
        if name:
            r.question[0].name = dns.name.from_text(name)
        r.answer.append(dns.rrset.from_text(r.question[0].name, 300, "IN", "A", addr))
        return r.to_wire()

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.51.100.53", 53))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("198.51.100.53", 5353))
    log = open(sys.argv[1], "a", buffering=1)
    delay = float(sys.argv[2])
    while True:
        data, peer = s.recvfrom(4096)
        log.write("query %s\\n" % dns.message.from_wire(data).question[0].name)
        time.sleep(delay)
        other.sendto(answer(data, addr="203.0.113.65"), peer)  # right ID, wrong source port
        s.sendto(answer(data, qid_xor=0x5A5A, addr="203.0.113.66"), peer)
        s.sendto(answer(data, name="other.example.", addr="203.0.113.67"), peer)
        s.sendto(answer(data), peer)
    """
)


def spoofer(net: Net, delay: float = 0.0) -> Path:
    log = net.work / "spoofer.log"
    log.touch()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = net.up.popen([sys.executable, "-c", SPOOFER, str(log), str(delay)], env=env)
    wait_port(net.up, proc, log, "198.51.100.53", 53)
    return log


def test_only_the_matching_answer_is_accepted(net: Net) -> None:
    spoofer(net)
    proc = lanctl(net, "server=198.51.100.53")
    out = dig(net, "spoof.example", "A")
    assert status(out) == "NOERROR"
    assert answers(out) == [("spoof.example.", 300, "203.0.113.10")]
    assert proc.poll() is None


CLIENTS = textwrap.dedent(
    """
    import random, socket, sys, select, time
    import dns.message
    n = int(sys.argv[1])
    socks, sent = [], {}
    for i in range(n):
        name = "".join(c.upper() if random.random() < 0.5 else c for c in "same.example")
        q = dns.message.make_query(name, "A")
        q.id = i
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("192.0.2.1", 53))
        s.send(q.to_wire())
        socks.append(s)
        sent[s.fileno()] = (i, name)
    ok, deadline, pending = 0, time.monotonic() + 8, set(socks)
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(list(pending), [], [], 1)
        for s in ready:
            r = dns.message.from_wire(s.recv(4096))
            i, name = sent[s.fileno()]
            if r.id == i and r.question[0].name.to_text() == name + "." and r.answer:
                ok += 1
            pending.discard(s)
    print(ok)
    """
)


def test_identical_concurrent_queries_share_one_upstream_query(net: Net) -> None:
    log = spoofer(net, delay=1.0)  # answers after a second: the queries pile up meanwhile
    proc = lanctl(net, "server=198.51.100.53", "dns-forward-max=150")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = net.cli.run([sys.executable, "-c", CLIENTS, "200"], timeout=30, env=env).stdout
    assert out.strip() == "200"  # every client got the answer with its own ID and case
    assert log.read_text().count("query ") == 1
    assert proc.poll() is None


# ---- differential: dnsmasq and lanctl as the forwarder under test ------------------------

DIFF_CONFIG: Sequence[str] = (
    "server=198.51.100.53",
    "server=/b.example/198.51.100.54",
    "local=/lan.example/",
    "domain-needed",
    "bogus-priv",
    "filter-AAAA",
    "filterwin2k",
    "address=/example/203.0.113.99",  # less specific than server=/b.example/: loses there
)
DIFF_QUERIES: Sequence[tuple[str, ...]] = (
    ("www.example.com", "A"),
    ("www.example.com", "MX"),  # upstream: REFUSED (no server for non-A types), passed on
    ("www.example.com", "A", "+dnssec"),
    ("v6.example.net", "AAAA"),
    ("nope.example.net", "A"),
    ("x.b.example", "A"),
    ("x.lan.example", "A"),
    ("printer", "A"),
    ("-x", "192.168.1.1"),
    ("txt.example.com", "TXT"),
    ("www.example.com", "A", "+norecurse"),
    ("WWW.Example.COM", "A", "+noedns"),
    ("example.com", "SOA"),
    ("_ldap._tcp.example.com", "SRV"),
    ("nx.b.example", "MX"),
    ("other.example", "A"),
)


# Not compared: an AAAA question under --filter-AAAA for a name dnsmasq already has in its cache
# (dnsmasq then answers NODATA from the cache without asking; lanctl forwards it).


def summary(out: str) -> tuple[str, str, list[tuple[str, str]]]:
    flags = ""
    for line in out.splitlines():
        if line.lower().startswith(";; flags:"):
            flags = " ".join(sorted(line.split(":")[1].split(";")[0].split()))
    return status(out), flags, sorted((n, d) for n, _, d in answers(out))


def test_same_answers_as_dnsmasq_forwarding(net: Net) -> None:
    upstream(
        net, "198.51.100.53", "--address=/example.com/203.0.113.10",
        "--host-record=v6.example.net,2001:db8::5", "--local=/example.net/",
        "--txt-record=txt.example.com,hello",
    )  # fmt: skip
    upstream(net, "198.51.100.54", "--address=/b.example/203.0.113.54")
    ours = lanctl(net, *DIFF_CONFIG, port=5300)
    theirs = dnsmasq_forwarder(net, *DIFF_CONFIG, port=53)
    for q in DIFF_QUERIES:
        want = summary(dig(net, *q, port=53))
        got = summary(dig(net, *q, port=5300))
        assert got == want, q
    assert ours.poll() is None and theirs.poll() is None
