"""batchio.DhcpBatch on loopback: datagrams in with sender and arrival interface, replies out."""

from __future__ import annotations

import socket

import pytest

from lanctl.dhcp4.batchio import DhcpBatch
from lanctl.dhcp4.udpsocket import IP_PKTINFO


def _server() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def _client() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    return sock


def test_receives_each_datagram_with_its_sender_and_interface() -> None:
    lo = socket.if_nametoindex("lo")
    with _server() as server, _client() as a, _client() as b:
        batch = DhcpBatch(server, size=4)
        assert batch.recv() == 0  # nothing waiting
        sent = [(a, b"one"), (b, b"x" * 1400), (a, b"three")]
        for sock, data in sent:
            sock.sendto(data, server.getsockname())
        n = batch.recv()
        assert n == 3
        got = [batch.datagram(i) for i in range(n)]
        assert [g[0] for g in got] == [d for _, d in sent]
        assert [g[1] for g in got] == [s.getsockname() for s, _ in sent]
        assert [g[2] for g in got] == [lo, lo, lo]
        for sock, data in [(b, b"four"), (b, b"five")]:  # the slots are reused in full
            sock.sendto(data, server.getsockname())
        assert batch.recv() == 2
        assert batch.datagram(1) == (b"five", b.getsockname(), lo)


def test_more_waiting_than_the_batch_holds_comes_in_the_next_recv() -> None:
    with _server() as server, _client() as a:
        batch = DhcpBatch(server, size=2)
        for k in range(3):
            a.sendto(bytes([k]), server.getsockname())
        assert batch.recv() == 2 and batch.recv() == 1
        assert batch.datagram(0)[0] == b"\x02"


def test_queued_replies_go_out_in_one_flush_each_to_its_destination() -> None:
    lo = socket.if_nametoindex("lo")
    with _server() as server, _client() as a, _client() as b:
        batch = DhcpBatch(server, size=2)
        assert batch.queue(b"to a", a.getsockname(), lo)
        assert batch.queue(b"to b", b.getsockname(), 0)
        assert not batch.queue(b"no room", a.getsockname(), lo)  # full: flush first
        a.setblocking(False)  # nothing leaves before flush()
        with pytest.raises(BlockingIOError):
            a.recv(100)
        assert batch.flush() == []
        a.settimeout(2)
        assert a.recvfrom(100) == (b"to a", server.getsockname())
        assert b.recvfrom(100) == (b"to b", server.getsockname())
        assert batch.queued == 0 and batch.queue(b"again", a.getsockname(), lo)
        assert batch.flush() == [] and a.recv(100) == b"again"


def test_a_refused_reply_is_reported_and_the_rest_still_go() -> None:
    lo = socket.if_nametoindex("lo")
    missing = max(i for i, _ in socket.if_nameindex()) + 1000  # no such interface
    with _server() as server, _client() as a:
        batch = DhcpBatch(server, size=4)
        batch.queue(b"first", a.getsockname(), lo)
        batch.queue(b"lost", a.getsockname(), missing)
        batch.queue(b"third", a.getsockname(), lo)
        errors = batch.flush()
        assert [dest for _, dest in errors] == [a.getsockname()]
        assert errors[0][0] != 0
        assert [a.recv(100), a.recv(100)] == [b"first", b"third"]


def test_a_bad_destination_is_an_oserror_at_queue_time() -> None:
    with _server() as server:
        batch = DhcpBatch(server, size=2)
        with pytest.raises(OSError):
            batch.queue(b"x", ("not an address", 68), 0)
        assert batch.queued == 0
