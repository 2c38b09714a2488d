"""DNS interface selection against dnsmasq 2.90: which queries each server answers.

A server namespace has two links, A (192.0.2.1) to client `ca` and B (198.51.100.1) to
client `cb`; `cb` also routes to A's subnet through the server, so it can send a query to
A's address that arrives on interface B.  For each configuration (--interface,
--except-interface, --listen-address, --bind-interfaces, --bind-dynamic) dnsmasq and then
lanctl run in the server namespace and the clients (and the server itself, to 127.0.0.1)
query over UDP and TCP: answered or not.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.message
import pytest

from tests.support import require_tool
from tests.support.netns import Lab, Namespace, stop_process

REPO = Path(__file__).resolve().parents[2]
A_SRV, B_SRV = "192.0.2.1", "198.51.100.1"
DATA = "address=/probe.test/203.0.113.7"


@dataclass
class Topo:
    srv: Namespace
    ca: Namespace
    cb: Namespace
    a_if: str
    b_if: str


def _query() -> bytes:
    return dns.message.make_query("probe.test", "A").to_wire()


def udp_answered(client: Namespace, host: str) -> bool:
    sock = client.socket()
    sock.settimeout(1.0)
    try:
        sock.sendto(_query(), (host, 53))
        try:
            data, _ = sock.recvfrom(600)
        except (TimeoutError, ConnectionRefusedError):
            return False
        return len(dns.message.from_wire(data).answer) == 1
    finally:
        sock.close()


def tcp_answered(client: Namespace, host: str) -> bool:
    sock = client.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        try:
            sock.connect((host, 53))
            q = _query()
            sock.sendall(struct.pack("!H", len(q)) + q)
            head = sock.recv(2)
        except (TimeoutError, OSError):
            return False
        if len(head) < 2:
            return False
        (length,) = struct.unpack("!H", head)
        body = b""
        while len(body) < length:
            chunk = sock.recv(length - len(body))
            if not chunk:
                return False
            body += chunk
        return len(dns.message.from_wire(body).answer) == 1
    finally:
        sock.close()


def wait_bound(ns: Namespace, proc: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}: {log.read_text()[-2000:]}")
        out = ns.run(["ss", "-Hlnu"]).stdout
        if any(line.split()[3].endswith(":53") for line in out.splitlines() if line.split()):
            return
        time.sleep(0.2)
    raise AssertionError(f"port 53 never bound: {log.read_text()[-2000:]}")


def start_dnsmasq(ns: Namespace, work: Path, opts: list[str]) -> tuple[subprocess.Popen[Any], Path]:
    log = work / "dnsmasq.log"
    argv = [
        "dnsmasq", "-k", "--no-resolv", "--no-hosts", "--pid-file=", "--user=root",
        "--group=root", "--log-facility=-", "--conf-file=/dev/null", f"--{DATA}",
        *(f"--{o}" for o in opts),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = ns.popen(argv, stdout=out)
    return proc, log


def start_lanctl(ns: Namespace, work: Path, opts: list[str]) -> tuple[subprocess.Popen[Any], Path]:
    conf = work / "lanctl.conf"
    user = [] if any(o.startswith("user=") for o in opts) else ["user="]
    lines = ["no-resolv", "no-hosts", *user, "pid-file=", "log-facility=-", DATA]
    conf.write_text("\n".join([*lines, f"control-socket={work}/ctl.sock", *opts]) + "\n")
    log = work / "lanctl.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        argv = [sys.executable, "-m", "lanctl", "dns", "serve", "-C", str(conf)]
        proc = ns.popen(argv, stdout=out, env=env, cwd=REPO)
    return proc, log


Case = Callable[[str, str], list[str]]
CASES: dict[str, Case] = {
    "none": lambda a, b: [],
    "interface": lambda a, b: [f"interface={a}"],
    "interface-glob": lambda a, b: [f"interface={a[:-1]}*"],
    "except": lambda a, b: [f"except-interface={b}"],
    "listen": lambda a, b: [f"listen-address={A_SRV}"],
    "listen-and-interface": lambda a, b: [f"listen-address={B_SRV}", f"interface={a}"],
    "listen-except": lambda a, b: [f"listen-address={B_SRV}", f"except-interface={b}"],
    "bind-interface": lambda a, b: ["bind-interfaces", f"interface={a}"],
    "bind-except": lambda a, b: ["bind-interfaces", f"except-interface={b}"],
    "bind-all": lambda a, b: ["bind-interfaces"],
    "dynamic-interface": lambda a, b: ["bind-dynamic", f"interface={a}"],
}
# Probes: ca→A, cb→B, cb→A (arrives on B), srv→127.0.0.1, srv→A (arrives on lo); each
# over UDP then TCP.
PROBES = ("ca-A", "cb-B", "cb-A", "lo", "srv-A")


@pytest.fixture
def topo(netns: Lab) -> Topo:
    require_tool("dnsmasq")
    srv, ca, cb = netns("srv"), netns("ca"), netns("cb")
    a = netns.link(srv, ca, [f"{A_SRV}/24"], ["192.0.2.2/24"])
    b = netns.link(srv, cb, [f"{B_SRV}/24"], ["198.51.100.2/24"])
    cb.run(["ip", "route", "add", "192.0.2.0/24", "via", B_SRV])
    ca.run(["ip", "route", "add", "198.51.100.0/24", "via", A_SRV])
    return Topo(srv, ca, cb, a.a_if, b.a_if)


def observe(topo: Topo, start: Callable[..., Any], work: Path, opts: list[str]) -> dict[str, Any]:
    work.mkdir()
    proc, log = start(topo.srv, work, opts)
    try:
        wait_bound(topo.srv, proc, log)
        where = {
            "ca-A": (topo.ca, A_SRV),
            "cb-B": (topo.cb, B_SRV),
            "cb-A": (topo.cb, A_SRV),
            "lo": (topo.srv, "127.0.0.1"),
            "srv-A": (topo.srv, A_SRV),
        }
        return {p: (udp_answered(*where[p]), tcp_answered(*where[p])) for p in PROBES}
    finally:
        stop_process(proc)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_queries_answered_as_dnsmasq(topo: Topo, tmp_path: Path, case: str) -> None:
    opts = CASES[case](topo.a_if, topo.b_if)
    theirs = observe(topo, start_dnsmasq, tmp_path / "dm", opts)
    ours = observe(topo, start_lanctl, tmp_path / "lc", opts)
    print(case, theirs)
    assert ours == theirs


def test_bind_dynamic_follows_addresses_like_dnsmasq(topo: Topo, tmp_path: Path) -> None:
    """--bind-dynamic --interface=A: an address added to A later is answered (by lanctl
    running as the default user, nobody, which needs CAP_NET_BIND_SERVICE kept), one
    removed is not; dnsmasq does the same."""
    extra = "192.0.2.3"
    results = {}
    for name, start in (("dm", start_dnsmasq), ("lc", start_lanctl)):
        work = tmp_path / name
        work.mkdir()
        work.chmod(0o755)
        tmp_path.chmod(0o755)
        opts = ["bind-dynamic", f"interface={topo.a_if}"]
        if name == "lc":
            opts.append("user=nobody")
        proc, log = start(topo.srv, work, opts)
        try:
            wait_bound(topo.srv, proc, log)
            before = udp_answered(topo.ca, extra)
            topo.srv.run(["ip", "addr", "add", f"{extra}/24", "dev", topo.a_if])
            added = _eventually(lambda: udp_answered(topo.ca, extra))
            tcp_added = tcp_answered(topo.ca, extra)
            topo.srv.run(["ip", "addr", "del", f"{extra}/24", "dev", topo.a_if])
            still_answered = not _eventually(lambda: not udp_answered(topo.ca, extra))
            results[name] = (before, added, tcp_added, still_answered)
        finally:
            stop_process(proc)
    assert results["lc"] == results["dm"] == (False, True, True, False)


def _eventually(probe: Callable[[], bool], tries: int = 5) -> bool:
    for _ in range(tries):
        if probe():
            return True
        time.sleep(0.3)
    return False
