"""upsock.UpstreamSockets on loopback: fresh random ports, sharing under load with distinct
IDs, retirement, --query-port / --query-port=0, and reply matching with the forwarder."""

from __future__ import annotations

import random
import socket
import struct
from collections.abc import Iterator

import pytest

from lanctl.config import load
from lanctl.config.model import DnsCfg
from lanctl.dns import upsock
from lanctl.dns.forward import Done, Forwarder, ForwardPolicy, Waiter
from lanctl.dns.upsock import UpstreamSockets
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import encode_name
from tests.support import free_port


@pytest.fixture
def upstream() -> Iterator[tuple[socket.socket, Upstream]]:
    """A bound UDP socket standing for the upstream server (nothing answers by itself)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock, Upstream("127.0.0.1", sock.getsockname()[1])
    sock.close()


def dns_cfg(*extra: str) -> DnsCfg:
    return load(["--no-resolv", *extra]).dns


def query(qid: int, name: str = "a.example") -> bytes:
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + b"\0\1\0\1"


def arrivals(sock: socket.socket, n: int) -> list[tuple[bytes, int]]:
    """The next `n` datagrams at the upstream: (data, source port)."""
    out = []
    for _ in range(n):
        data, peer = sock.recvfrom(4096)
        out.append((data, peer[1]))
    return out


def ready(socks: UpstreamSockets) -> list[int]:
    """fds with a datagram waiting (the epoll set the reader task waits on)."""
    return [fd for fd, _ in socks.epoll.poll(5)]


class Clock:
    """A settable monotonic clock for UpstreamSockets' idle sockets."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_query_gets_a_fresh_port_until_share_at(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    socks = UpstreamSockets(dns_cfg(), random.Random(1))
    for token in range(upsock.SHARE_AT):
        socks.send(token, up, query(1000 + token))
    ports = [port for _, port in arrivals(server, upsock.SHARE_AT)]
    assert len(set(ports)) == upsock.SHARE_AT == len(socks)
    for token in range(upsock.SHARE_AT):
        socks.release(token)
    assert len(socks) == 0  # the server went quiet: every port is closed
    socks.send(99, up, query(7))
    assert len(socks) == 1 and len(arrivals(server, 1)) == 1
    socks.close()


def test_queries_one_at_a_time_each_get_a_fresh_port(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    socks = UpstreamSockets(dns_cfg(), random.Random(1))
    for token in range(8):
        socks.send(token, up, query(token))
        socks.release(token)
        assert len(socks) == 0
    ports = {port for _, port in arrivals(server, 8)}
    assert len(ports) >= 7  # kernel ephemeral ports: a repeat is possible, two are not likely
    socks.close()


def test_under_load_an_idle_socket_serves_the_next_query_within_idle_keep(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    clock = Clock()
    socks = UpstreamSockets(dns_cfg(), random.Random(1), clock=clock)
    socks.send(1, up, query(1))  # stays in flight throughout: the server is busy
    socks.send(2, up, query(2))
    (_, busy), (_, first) = arrivals(server, 2)
    socks.release(2)
    assert len(socks) == 2  # kept open, idle
    clock.now += upsock.IDLE_KEEP / 2
    socks.send(3, up, query(3))
    socks.send(4, up, query(4))  # the idle one is busy again: this one opens another
    (_, third), (_, fourth) = arrivals(server, 2)
    assert third == first and fourth not in (busy, first) and len(socks) == 3
    socks.release(3)
    socks.release(4)
    clock.now += upsock.IDLE_KEEP * 2
    socks.send(5, up, query(5))  # both idle too long: closed, a fresh port for this one
    ((_, fifth),) = arrivals(server, 1)
    assert len(socks) == 2 and fifth not in (first, fourth)
    socks.release(5)
    socks.release(1)
    assert len(socks) == 0  # quiet again: nothing stays open
    socks.close()


def test_under_load_queries_share_sockets_with_distinct_ids(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    socks = UpstreamSockets(dns_cfg(), random.Random(1))
    n = upsock.SHARE_AT * 3
    for token in range(n):
        socks.send(token, up, query(token))  # distinct IDs: SHARE_AT sockets, 3 queries each
    assert len(socks) == upsock.SHARE_AT
    counts: dict[int, int] = {}
    for _, port in arrivals(server, n):
        counts[port] = counts.get(port, 0) + 1
    assert sorted(counts.values()) == [3] * upsock.SHARE_AT
    for token in range(n):
        socks.release(token)
    assert len(socks) == 0
    for token in range(n):
        socks.send(token, up, query(5))  # the same ID every time: never twice on one socket
    assert len(socks) == n  # ID 5 is busy on every open socket: each query opened one
    got = arrivals(server, n)
    by_port: dict[int, list[int]] = {}
    for data, port in got:
        by_port.setdefault(port, []).append(struct.unpack_from("!H", data)[0])
    assert all(len(ids) == len(set(ids)) for ids in by_port.values())
    socks.close()


def test_replies_go_to_the_query_with_their_id(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    socks = UpstreamSockets(dns_cfg(f"--query-port={free_port()}"), random.Random(1))
    socks.send(1, up, query(0x1111))
    socks.send(2, up, query(0x2222))
    assert len(socks) == 1  # one fixed-port socket carries both
    (d1, port), (d2, _) = arrivals(server, 2)
    server.sendto(d2, ("127.0.0.1", port))
    server.sendto(struct.pack("!H", 0x3333) + d1[2:], ("127.0.0.1", port))  # unknown ID
    (fd,) = ready(socks)
    s = socks.by_fd[fd]
    first = s.sock.recv(4096)
    assert socks.owner(s, first) == 2
    assert socks.owner(s, s.sock.recv(4096)) in (1, 2)  # for the forwarder to reject
    assert socks.id_taken(up, 0x1111) and not socks.id_taken(up, 0x3333)
    socks.release(1)
    socks.release(2)
    assert len(socks) == 1 and not socks.id_taken(up, 0x1111)  # the fixed port stays open
    socks.close()


def test_query_port_is_the_source_of_every_query(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    qport = free_port()
    socks = UpstreamSockets(dns_cfg(f"--query-port={qport}"), random.Random(1))
    for token in range(5):
        socks.send(token, up, query(token))
    assert {port for _, port in arrivals(server, 5)} == {qport}
    socks.close()


def test_query_port_zero_keeps_one_kernel_port_for_every_server() -> None:
    servers = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for s in servers:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
    socks = UpstreamSockets(dns_cfg("--query-port=0"), random.Random(1))
    for token, s in enumerate(servers):
        socks.send(token, Upstream("127.0.0.1", s.getsockname()[1]), query(token))
    ports = {arrivals(s, 1)[0][1] for s in servers}
    assert len(ports) == 1 and 0 not in ports
    socks.close()
    for s in servers:
        s.close()


def test_source_address_servers_ignore_query_port(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    server, up = upstream
    qport = free_port()
    sourced = Upstream(up.address, up.port, source="127.0.0.1")
    socks = UpstreamSockets(dns_cfg(f"--query-port={qport}"), random.Random(1))
    socks.send(1, sourced, query(1))
    assert arrivals(server, 1)[0][1] != qport  # dnsmasq: query-port ignored with a source
    socks.close()


def test_a_socket_is_retired_after_max_uses(
    upstream: tuple[socket.socket, Upstream], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, up = upstream
    monkeypatch.setattr(upsock, "SHARE_AT", 1)
    monkeypatch.setattr(upsock, "MAX_USES", 3)
    socks = UpstreamSockets(dns_cfg(), random.Random(1))
    for token in range(6):
        socks.send(token, up, query(token))
    ports = [port for _, port in arrivals(server, 6)]
    assert ports[0] == ports[1] == ports[2] != ports[3] == ports[4] == ports[5]
    for token in range(3):
        socks.release(token)
    assert len(socks) == 1  # the retired socket closed with its last query
    socks.close()


def test_forwarder_rejects_wrong_id_and_wrong_question_on_a_shared_socket(
    upstream: tuple[socket.socket, Upstream],
) -> None:
    """--query-port: one socket for every query, yet only the exact answer is accepted."""
    server, up = upstream
    fwd = Forwarder(ForwardPolicy(), random.Random(3))
    socks = UpstreamSockets(dns_cfg(f"--query-port={free_port()}"), random.Random(1))
    fwd.id_taken = socks.id_taken
    question = encode_name("a.example") + b"\0\1\0\1"
    other = encode_name("b.example") + b"\0\1\0\1"
    for key, q in ((b"a", question), (b"b", other)):
        waiter = Waiter(None, 1, 0x0100, q, 0, False, "udp")
        assert fwd.submit(key, q, 0x0100, False, (up,), waiter, 0.0)
    sends, _ = fwd.take()
    for send in sends:
        socks.send(send.token, send.server, send.data)
    (d_a, port), _ = arrivals(server, 2)
    qid = struct.unpack_from("!H", d_a)[0]

    def answer(rid: int, q: bytes) -> bytes:
        return struct.pack("!HHHHHH", rid, 0x8180, 1, 0, 0, 0) + q

    wrong_id = answer((qid + 1) % 65536, question)
    wrong_q = answer(qid, encode_name("c.example") + b"\0\1\0\1")
    for data in (wrong_id, wrong_q, answer(qid, question)):
        server.sendto(data, ("127.0.0.1", port))
    done: list[Done] = []
    while not done:
        (fd,) = ready(socks)
        s = socks.by_fd[fd]
        while True:
            try:
                data = s.sock.recv(4096)
            except BlockingIOError:
                break
            token = socks.owner(s, data)
            assert token is not None
            result = fwd.on_reply(token, data, 1.0)
            if result is not None:
                done.append(result)
    assert fwd.counters["mismatched"] == 2
    assert [d.pending.question for d in done] == [question]
    assert len(fwd) == 1  # b.example still waits
    socks.close()
