"""The trio DNS server on loopback, queried with dig/kdig, and compared with real dnsmasq.

Servers run in-process (trio) on a free high port of 127.0.0.1; dnsmasq (when installed)
runs as a child process with the same configuration on another port and is stopped by PID.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest
import trio

from lanctl.config import load
from lanctl.config.model import Config
from lanctl.dns.server import DnsHandle, serve
from lanctl.errors import NetworkError
from tests.support import free_port, require_tool

HOSTS = """\
192.0.2.1   host1.example host1
2001:db8::1 host1.example v6only
192.0.2.2   shorty
198.51.100.5 host1.example
203.0.113.7 addrhost.blocked.example
192.0.2.31 multi.example
192.0.2.32 multi.example
192.0.2.33 multi.example
192.0.2.34 multi.example
127.0.0.5 loc.example
192.0.2.41 loc.example
127.0.0.6 loc.example
2001:db8::41 loc.example
"""


RECORDS = f"""\
host-record=ttl.example,198.51.100.2,77
cname=al.example,al2.example,rec.example,33
cname=chain.example,al.example
cname=far.example,nowhere.example
cname=tolease.example,host1.example
cname=c1.example,c2.example
cname=c2.example,c3.example
cname=c3.example,c4.example
cname=c4.example,c5.example
cname=c5.example,c6.example
cname=c6.example,c7.example
cname=c7.example,c8.example
cname=c8.example,c9.example
cname=c9.example,c10.example
cname=c10.example,c11.example
cname=c11.example,c12.example
cname=c12.example,rec.example
txt-record=txt.example,"hello, world",second
txt-record=long.example,{"x" * 300}
txt-record=empty.example
ptr-record=7.2.0.192.in-addr.arpa,ptr.example
ptr-record=1.2.0.192.in-addr.arpa,override.example
ptr-record=nodata.example
srv-host=_ldap._tcp.example,ldap.example,389,1,2
srv-host=_ldap._tcp.example,ldap2.example,389
srv-host=_none._tcp.example
mx-host=mx.example,mail.example,5
mx-host=mx2.example
mx-target=tgt.example
localmx
naptr-record=naptr.example,100,10,S,SIP+D2U,,_sip._udp.example
caa-record=caa.example,0,issue,letsencrypt.org
dns-rr=rr.example,99,0474657374
dns-rr=rr.example,65280,
address=/sub.blocked.example/
txt-record=t.sub.blocked.example,x
synth-domain=syn.example,192.0.2.0/24,host-
synth-domain=seq.example,198.51.100.50,198.51.100.70,internal-*
synth-domain=plain.example,203.0.113.0/28
synth-domain=v6.example,2001:db8::/64
synth-domain=v6s.example,2001:db8:1::/64,n-*
interface-name=lo.example,lo
interface-name=lo4.example,lo/4
dynamic-host=dl.example,0.0.1.9,lo
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    hosts = tmp_path / "hosts"
    hosts.write_text(HOSTS)
    path = tmp_path / "dnsmasq.conf"
    path.write_text(
        "no-resolv\nno-hosts\n"
        f"addn-hosts={hosts}\n"
        "expand-hosts\ndomain=lan\n"
        "host-record=rec.example,198.51.100.1,2001:db8::10\n"
        "address=/blocked.example/\naddress=/ads.example/203.0.113.1\naddress=/null.example/#\n"
        + RECORDS
    )
    return path


def config(conf: Path, port: int, *extra: str) -> Config:
    return load([f"--conf-file={conf}", f"--port={port}", "--listen-address=127.0.0.1", *extra])


def run_server(cfg: Config, body: Callable[[DnsHandle], Awaitable[None]]) -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(serve, cfg)
            await body(handle)
            nursery.cancel_scope.cancel()

    try:
        trio.run(main)
    except BaseExceptionGroup as group:  # trio wraps errors of the nursery; unwrap one
        if len(group.exceptions) == 1 and isinstance(group.exceptions[0], Exception):
            raise group.exceptions[0] from None
        raise


async def _nothing(handle: DnsHandle) -> None:
    await trio.lowlevel.checkpoint()


async def dig(port: int, *args: str, tool: str = "dig") -> str:
    limits = ("+tries=1", "+time=2") if tool == "dig" else ("+retry=0", "+timeout=2")
    proc = await trio.run_process(
        [require_tool(tool), "@127.0.0.1", "-p", str(port), *limits, *args],
        capture_stdout=True,
        check=False,
    )
    return proc.stdout.decode()


def summary(text: str) -> list[str]:
    """Status, flags and answer lines of dig output, sorted (dnsmasq rotates RRs)."""
    keep = []
    for line in text.splitlines():
        if "status:" in line:
            keep.append(line.split("status:")[1].split(",")[0].strip())
        elif line.startswith(";; flags:"):
            keep.append(line.split(";")[2].strip())
        elif line and not line.startswith(";"):
            keep.append(" ".join(line.split()))
    return sorted(keep)


QUERIES = [
    ("host1.example", "A"),
    ("HoSt1.Example", "AAAA"),
    ("shorty.lan", "A"),
    ("-x", "192.0.2.1"),
    ("-x", "2001:db8::10"),
    ("unknown.example", "A"),
    ("sub.blocked.example", "A"),
    ("blocked.example", "A"),
    ("x.ads.example", "A"),
    ("null.example", "AAAA"),
    ("host1.example", "MX"),
    ("host1.example", "ANY"),
    # static records (lanctl/dns/records.py)
    ("al.example", "A"),
    ("AL2.example", "AAAA"),
    ("chain.example", "A"),
    ("chain.example", "TXT"),
    ("chain.example", "ANY"),
    ("chain.example", "CNAME"),
    ("far.example", "A"),
    ("tolease.example", "A"),
    ("c1.example", "A"),
    ("c3.example", "A"),
    ("txt.example", "TXT"),
    ("txt.example", "A"),
    ("txt.example", "ANY"),
    ("long.example", "TXT"),
    ("empty.example", "TXT"),
    ("-x", "192.0.2.7"),
    ("-x", "192.0.2.1"),
    ("nodata.example", "PTR"),
    ("_ldap._tcp.example", "SRV"),
    ("_none._tcp.example", "SRV"),
    ("mx.example", "MX"),
    ("mx2.example", "MX"),
    ("rec.example", "MX"),
    ("rec.example", "ANY"),
    ("naptr.example", "NAPTR"),
    ("caa.example", "CAA"),
    ("rr.example", "TYPE99"),
    ("rr.example", "TYPE65280"),
    ("rr.example", "ANY"),
    ("ttl.example", "A"),
    ("t.sub.blocked.example", "TXT"),
    ("t.sub.blocked.example", "A"),
    ("x.t.sub.blocked.example", "A"),
    # --synth-domain and --interface-name (lanctl/dns/synth.py)
    ("host-192-0-2-5.syn.example", "A"),
    ("HOST-192-0-2-5.syn.example", "A"),
    ("host-192-0-2-5.syn.example", "AAAA"),
    ("host-192-0-2-5.syn.example", "ANY"),
    ("host-192-000-2-5.syn.example", "A"),
    ("192-0-2-5.syn.example", "A"),
    ("-x", "192.0.2.5"),
    ("internal-0.seq.example", "A"),
    ("internal-20.seq.example", "A"),
    ("internal-21.seq.example", "A"),
    ("internal-05.seq.example", "A"),
    ("-x", "198.51.100.55"),
    ("203-0-113-3.plain.example", "A"),
    ("-x", "203.0.113.3"),
    ("-x", "203.0.113.30"),
    ("2001-db8--a-5.v6.example", "AAAA"),
    ("-x", "2001:db8::a:5"),
    ("n-16.v6s.example", "AAAA"),
    ("-x", "2001:db8:1::ff"),
    ("lo.example", "A"),
    ("lo.example", "ANY"),
    ("lo4.example", "AAAA"),
    ("lo4.example", "A"),
    ("-x", "127.0.0.1"),
    ("-x", "::1"),
    ("dl.example", "A"),
    ("dl.example", "ANY"),
    # not ("-x", "127.0.1.9"): dnsmasq 2.90's PTR search over --interface-name and
    # --dynamic-host entries of the same interface depends on their order (with
    # interface-name=lo.example,lo first it even answers lo.example); lanctl gives dl.example.
]


def test_dig_udp_and_tcp_and_kdig(conf: Path) -> None:
    port = free_port()

    async def body(handle: DnsHandle) -> None:
        out = await dig(port, "host1.example", "A")
        assert "status: NOERROR" in out and "192.0.2.1" in out and "198.51.100.5" in out
        out = await dig(port, "+tcp", "shorty", "A")
        assert "192.0.2.2" in out and "(TCP)" in out
        out = await dig(port, "unknown.example", "A")
        assert "status: REFUSED" in out
        out = await dig(port, "+short", "CH", "TXT", "cachesize.bind")
        assert out.strip() == '"150"'
        out = await dig(port, "+tcp", "-x", "198.51.100.1", tool="kdig")
        assert "rec.example." in out and "NOERROR" in out
        stats = handle.stats()
        assert stats["tcp_queries"] == 2 and stats["refused"] == 1 and stats["queries"] >= 5

    run_server(config(conf, port), body)


def test_tcp_pipelined_queries_answered_in_order(conf: Path) -> None:
    port = free_port()
    names = ["host1.example", "shorty", "unknown.example", "rec.example"]

    async def body(handle: DnsHandle) -> None:
        sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        await sock.connect(("127.0.0.1", port))
        stream = trio.SocketStream(sock)
        queries = [dns.message.make_query(n, "A") for n in names]
        await stream.send_all(
            b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in queries))
        )
        buf = b""
        replies = []
        while len(replies) < len(queries):
            chunk = await stream.receive_some(65536)
            assert chunk, "server closed early"
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                replies.append(dns.message.from_wire(buf[2 : 2 + n]))
                buf = buf[2 + n :]
        await stream.aclose()
        assert [r.id for r in replies] == [q.id for q in queries]
        assert [r.rcode() for r in replies] == [0, 0, dns.rcode.REFUSED, 0]

    run_server(config(conf, port), body)


def test_max_tcp_connections_queues_the_next_client(conf: Path) -> None:
    port = free_port()

    async def body(handle: DnsHandle) -> None:
        first = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        await first.connect(("127.0.0.1", port))
        while handle.stats()["tcp_in_use"] != 1:  # noqa: ASYNC110 - polling the server's counter
            await trio.sleep(0.01)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(dig, port, "+tcp", "host1.example")
            # Not synchronisation: a window in which a broken limit would let the second
            # client in; the assertions below hold however long it is.
            await trio.sleep(0.2)
            assert handle.stats()["tcp_in_use"] == 1
            first.close()
        assert handle.stats()["tcp_highest"] == 1
        assert handle.stats()["tcp_queries"] == 1

    run_server(config(conf, port, "--max-tcp-connections=1"), body)


def test_reload_rereads_hosts_and_control_commands(conf: Path, tmp_path: Path) -> None:
    port = free_port()

    async def body(handle: DnsHandle) -> None:
        assert "192.0.2.1" in await dig(port, "+short", "host1")
        (tmp_path / "hosts").write_text("192.0.2.77 host1\n")
        handle.reload()
        assert (await dig(port, "+short", "host1")).split() == ["192.0.2.77"]
        dump = handle.control("cache.dump", {})
        assert {
            "name": "host1",
            "type": "A",
            "value": "192.0.2.77",
            "ttl": 0,
            "flags": "H",
            "source": str(tmp_path / "hosts"),
        } in dump["entries"]
        assert handle.control("cache.clear", {}) == {"cleared": 1}
        with pytest.raises(KeyError):
            handle.control("nope", {})
        assert handle.log_stats()[2].startswith("queries forwarded 0, queries answered locally 2")

    run_server(config(conf, port), body)


def _answer(data: bytes, qid_xor: int = 0, name: str | None = None, addr: str = "") -> bytes:
    q = dns.message.from_wire(data)  # a fresh parse each time: rrsets are shared otherwise
    r = dns.message.make_response(q)
    r.id ^= qid_xor
    if name is not None:
        r.question[0].name = dns.name.from_text(name)
    r.answer.append(dns.rrset.from_text(r.question[0].name, 300, "IN", "A", addr))
    return r.to_wire()


async def _spoofing_upstream(sock: trio.socket.SocketType, log: list[str]) -> None:
    """Answers every query three times: wrong ID, wrong qname, then the right answer."""
    while True:
        data, peer = await sock.recvfrom(4096)
        log.append(str(dns.message.from_wire(data).question[0].name))
        await sock.sendto(_answer(data, qid_xor=0x5A5A, addr="203.0.113.66"), peer)
        await sock.sendto(_answer(data, name="other.example.", addr="203.0.113.67"), peer)
        await sock.sendto(_answer(data, addr="203.0.113.10"), peer)


def test_forwarding_accepts_only_the_matching_answer_and_caches_it(conf: Path) -> None:
    port, up_port = free_port(), free_port()
    log: list[str] = []

    async def main() -> None:
        up = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        await up.bind(("127.0.0.1", up_port))
        cfg = config(conf, port, f"--server=127.0.0.1#{up_port}")
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_spoofing_upstream, up, log)
            handle = await nursery.start(serve, cfg)
            out = await dig(port, "Fwd.Example", "A")
            assert "status: NOERROR" in out and "203.0.113.10" in out and "203.0.113.6" not in out
            assert "Fwd.Example." in out
            out = await dig(port, "+tcp", "fwd.example", "A", tool="kdig")
            assert "203.0.113.10" in out
            assert log == ["Fwd.Example."]  # the second query came from the cache
            assert handle.stats()["upstream_mismatched"] == 2
            rows = handle.control("cache.dump", {})["entries"]  # type: ignore[call-overload,index]
            (row,) = [r for r in rows if r["flags"] == "F"]
            assert (row["name"], row["type"], row["value"], row["source"]) == (
                "fwd.example",
                "A",
                "203.0.113.10",
                f"127.0.0.1#{up_port}",
            )
            assert 0 < row["ttl"] <= 300
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_bind_failure_is_network_error_in_dnsmasq_words(conf: Path) -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))
        with pytest.raises(NetworkError) as err:
            run_server(config(conf, port), _nothing)
    assert (
        str(err.value) == "failed to create listening socket for 127.0.0.1: Address already in use"
    )
    assert err.value.exit_code == 2


@pytest.fixture
def dnsmasq(conf: Path) -> Iterator[int]:
    with run_dnsmasq(conf) as port:
        yield port


@contextlib.contextmanager
def run_dnsmasq(conf: Path, *extra: str) -> Iterator[int]:
    binary = require_tool("dnsmasq")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "-k", f"--conf-file={conf}", f"--port={port}", "--listen-address=127.0.0.1",
         "--bind-interfaces", "--pid-file=", "--user=root", "--log-facility=-", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        probe = dns.message.make_query("host1.example", "A").to_wire()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            for _ in range(50):  # poll until dnsmasq answers (up to ~10 s)
                assert proc.poll() is None, "dnsmasq exited"
                s.sendto(probe, ("127.0.0.1", port))
                try:
                    s.recv(4096)
                    break
                except OSError:
                    continue
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_same_answers_as_dnsmasq(conf: Path, dnsmasq: int) -> None:
    port = free_port()
    results: list[tuple[tuple[str, ...], list[str], list[str]]] = []

    async def body(handle: DnsHandle) -> None:
        for q in QUERIES:
            for extra in ((), ("+tcp",)) if q == QUERIES[0] else ((),):
                args = (*extra, *q)
                ours = summary(await dig(port, *args))
                theirs = summary(await dig(dnsmasq, *args))
                results.append((args, ours, theirs))
        chaos = ("+short", "CH", "TXT", "cachesize.bind")
        results.append((chaos, [await dig(port, *chaos)], [await dig(dnsmasq, *chaos)]))

    run_server(config(conf, port), body)
    assert len(results) == len(QUERIES) + 2
    for args, ours, theirs in results:
        assert ours == theirs, args
        assert ours  # dig got an answer at all


def rotated(orders: list[list[str]]) -> bool:
    """True when each order is the previous one rotated left by one record."""
    return all(b == a[1:] + a[:1] for a, b in itertools.pairwise(orders))


@pytest.mark.parametrize("extra", [(), ("--no-round-robin",)])
def test_round_robin_like_dnsmasq(conf: Path, extra: tuple[str, ...]) -> None:
    """dnsmasq 2.90 rotates a hosts name's addresses left by one per A query (its first
    order comes from its hash table, so only the multiset and the step are compared);
    with --no-round-robin both keep the file order."""
    port = free_port()
    ours: list[list[str]] = []
    theirs: list[list[str]] = []

    async def body(handle: DnsHandle) -> None:
        with run_dnsmasq(conf, *extra) as other:
            for _ in range(6):
                ours.append((await dig(port, "+short", "multi.example", "A")).split())
                theirs.append((await dig(other, "+short", "multi.example", "A")).split())

    run_server(config(conf, port, *extra), body)
    addrs = [f"192.0.2.{i}" for i in range(31, 35)]
    for a, b in zip(ours, theirs, strict=True):
        assert sorted(a) == sorted(b) == addrs
    if extra:
        assert ours == theirs == [addrs] * 6
    else:
        assert rotated(ours) and rotated(theirs)
        assert len({tuple(o) for o in ours}) == 4  # every rotation seen


def test_localise_queries_like_dnsmasq(conf: Path) -> None:
    """Both bound to 127.0.0.1 (subnet 127.0.0.0/8): only loc.example's 127.x addresses
    come back for A (UDP and TCP) and for the A part of ANY; AAAA is not localised."""
    port = free_port()
    results: list[tuple[tuple[str, ...], list[str], list[str]]] = []

    async def body(handle: DnsHandle) -> None:
        with run_dnsmasq(conf, "--localise-queries") as other:
            for extra in ((), ("+tcp",)):
                for rdtype in ("A", "A", "ANY", "AAAA"):
                    args = (*extra, "+short", "loc.example", rdtype)
                    ours = sorted((await dig(port, *args)).split())
                    theirs = sorted((await dig(other, *args)).split())
                    results.append((args, ours, theirs))

    run_server(config(conf, port, "--localise-queries"), body)
    for args, ours, theirs in results:
        assert ours == theirs, args
    assert results[0][1] == ["127.0.0.5", "127.0.0.6"]
    assert {"127.0.0.5", "127.0.0.6", "2001:db8::41"} <= set(results[2][1])  # ANY (+ MX)
    assert "192.0.2.41" not in results[2][1]
    assert results[4][1] == ["127.0.0.5", "127.0.0.6"]  # TCP
