"""Forwarding against dnsmasq 2.90 on the wire: query classes, the OPT record sent upstream,
the per-server "failed" counter (issue #7).

dnsmasq and lanctl run in turn on loopback with the same configuration and the same
upstream: a small in-process UDP server that records every query it gets and answers
SERVFAIL for "sf*", REFUSED for "rf*", an A (class IN) or TXT record (any class) otherwise.
The same queries go to both; what the clients get and what the upstream got must match.
Known difference left out: a query without EDNS reaches the upstream without an OPT record
from dnsmasq, with lanctl's own from lanctl (plainfwd.py).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rrset
import pytest

from tests.support import free_port, require_tool

REPO = Path(__file__).resolve().parents[2]


class Upstream:
    """A recording loopback UDP server in a thread."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.got: list[dns.message.Message] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return
            q = dns.message.from_wire(data)
            self.got.append(q)
            r = dns.message.make_response(q, pad=0)
            name, qtype, qclass = q.question[0].name, q.question[0].rdtype, q.question[0].rdclass
            label = str(name).lower()
            if label.startswith("sf"):
                r.set_rcode(dns.rcode.SERVFAIL)
            elif label.startswith("rf"):
                r.set_rcode(dns.rcode.REFUSED)
            elif qtype == 16:
                r.answer.append(dns.rrset.from_text(name, 300, qclass, "TXT", '"up"'))
            elif qtype == 1 and qclass == 1:
                r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "203.0.113.1"))
            self.sock.sendto(r.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    yield up
    up.close()


def ask(port: int, msg: dns.message.Message, timeout: float = 5.0) -> dns.message.Message | None:
    try:
        return dns.query.udp(msg, "127.0.0.1", port=port, timeout=timeout)
    except dns.exception.Timeout:
        return None


@contextmanager
def running(which: str, work: Path, opts: list[str]) -> Iterator[int]:
    """dnsmasq or lanctl with `opts`, answering on a free loopback port (yielded)."""
    port = free_port()
    conf = [f"port={port}", "listen-address=127.0.0.1", "bind-interfaces", "pid-file=",
            "log-facility=-", "no-hosts", "no-resolv", *opts]  # fmt: skip
    env: dict[str, str] | None = None
    if which == "dnsmasq":
        argv = [require_tool("dnsmasq"), "-k", "--conf-file=/dev/null", "--user=root",
                *(f"--{o}" for o in conf)]  # fmt: skip
    else:
        path = work / "lanctl.conf"
        path.write_text("\n".join([*conf, "user=", f"control-socket={work}/c.sock"]))
        argv = [sys.executable, "-m", "lanctl", "dns", "serve", "-C", str(path)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = (work / "log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        probe = dns.message.make_query("version.bind", "TXT", "CH")
        deadline = time.monotonic() + 20
        while ask(port, probe, timeout=0.2) is None:
            assert proc.poll() is None, (work / "log").read_text()
            assert time.monotonic() < deadline, f"{which} never answered"
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def both(work: Path, opts: list[str], run: Any) -> tuple[Any, Any]:
    """`run(port)`'s result against dnsmasq, then against lanctl."""
    out = []
    for which in ("dnsmasq", "lanctl"):
        (work / which).mkdir()
        with running(which, work / which, opts) as port:
            out.append(run(port))
    return out[0], out[1]


def seen(r: dns.message.Message | None) -> tuple[str, str, list[str]] | None:
    if r is None:
        return None
    return dns.rcode.to_text(r.rcode()), dns.flags.to_text(r.flags), [str(a) for a in r.answer]


CLASS_QUERIES = [
    ("foo.example", "CH", "TXT"), ("foo.example", "HS", "A"), ("foo.example", "NONE", "A"),
    ("foo.example", "ANY", "A"), ("foo.example", "CLASS300", "A"), ("foo.example", "IN", "A"),
    ("version.bind", "HS", "TXT"), ("foo.bind", "CH", "TXT"), ("version.bind", "CH", "A"),
]  # fmt: skip


@pytest.mark.parametrize(("with_server", "extra"), [(True, []), (False, []), (True, ["no-ident"])])
def test_other_classes_forwarded_like_dnsmasq(
    tmp_path: Path, upstream: Upstream, with_server: bool, extra: list[str]
) -> None:
    opts = [f"server=127.0.0.1#{upstream.port}", "cache-size=0"] if with_server else []
    opts += extra  # --no-ident: the *.bind names NOTIMP, other CHAOS names still forwarded

    def run(port: int) -> list[object]:
        out: list[object] = []
        for name, rdclass, rdtype in CLASS_QUERIES:
            before = len(upstream.got)
            r = ask(port, dns.message.make_query(name, rdtype, rdclass))
            out.append((name, rdclass, rdtype, seen(r),
                        [str(q.question[0]) for q in upstream.got[before:]]))  # fmt: skip
        return out

    theirs, ours = both(tmp_path, opts, run)
    assert ours == theirs
    forwarded = [o for o in theirs if o[4]]  # type: ignore[index]
    assert len(forwarded) == (7 if with_server else 0)  # all but the two *.bind NOTIMP
    if not with_server:
        assert all(o[3][0] in ("REFUSED", "NOTIMP") for o in theirs)  # type: ignore[index]


COOKIE = dns.edns.GenericOption(10, bytes(range(8)))
PADDING = dns.edns.GenericOption(12, bytes(5))
NSID = dns.edns.GenericOption(3, b"")
PRIVATE = dns.edns.GenericOption(65001, b"xy")
ECS = dns.edns.ECSOption("192.0.2.0", 24)
EDNS_QUERIES: list[tuple[int, list[dns.edns.Option], bool]] = [
    (4096, [], False), (1232, [], False), (1000, [], False), (512, [], False), (100, [], False),
    (4096, [], True), (4096, [COOKIE], False), (1400, [COOKIE], True), (4096, [PADDING], False),
    (4096, [NSID], False), (4096, [ECS], False), (800, [COOKIE, PADDING, PRIVATE, NSID], False),
]  # fmt: skip


@pytest.mark.parametrize("packet_max", [None, 1100])
def test_upstream_opt_like_dnsmasq(
    tmp_path: Path, upstream: Upstream, packet_max: int | None
) -> None:
    opts = [f"server=127.0.0.1#{upstream.port}", "cache-size=0"]
    if packet_max is not None:
        opts.append(f"edns-packet-max={packet_max}")

    def run(port: int) -> list[object]:
        out: list[object] = []
        for i, (size, options, do) in enumerate(EDNS_QUERIES):
            before = len(upstream.got)
            q = dns.message.make_query(f"e{i}.example", "A", use_edns=0, payload=size,
                                       options=options, want_dnssec=do)  # fmt: skip
            assert seen(ask(port, q)) is not None
            sent = upstream.got[before:]
            out.append([(u.edns, int(u.payload), u.ednsflags, [o.to_text() for o in u.options])
                        for u in sent])  # fmt: skip
        return out

    theirs, ours = both(tmp_path, opts, run)
    assert ours == theirs
    # The client's cookie passed on; the size: the client's, at most --edns-packet-max.
    assert theirs[6] == [(0, min(1232, packet_max or 1232), 0, ["COOKIE 0001020304050607"])]
    assert theirs[2][0][1] == 1000
    assert theirs[4][0][1] == 512  # never below 512


def test_failed_counter_like_dnsmasq(tmp_path: Path, upstream: Upstream) -> None:
    dead = free_port()  # nothing listens there: ICMP port unreachable
    opts = [f"server=127.0.0.1#{upstream.port}", f"server=127.0.0.1#{dead}", "strict-order",
            "cache-size=0"]  # fmt: skip

    def run(port: int) -> list[str]:
        for name in ("sf1.example", "rf1.example", "ok1.example", "sf2.example"):
            # dnsmasq gives these clients no answer at all here: do not wait long for one.
            ask(port, dns.message.make_query(name, "A"), timeout=1.0)
        r = ask(port, dns.message.make_query("servers.bind", "TXT", "CH"))
        assert r is not None and r.answer
        text = str(r.answer[0][0])
        return [text.replace(f"#{upstream.port} ", "#UP ").replace(f"#{dead} ", "#DEAD ")]

    theirs, ours = both(tmp_path, opts, run)
    assert ours == theirs
    # SERVFAIL and REFUSED replies count; ICMP errors do not.
    assert re.fullmatch(r'"127\.0\.0\.1#UP 4 3" "127\.0\.0\.1#DEAD \d+ 0"', theirs[0])
