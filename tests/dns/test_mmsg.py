"""mmsg.MsgBatch on loopback: batched receive, peers as recvfrom gives them, replies to each."""

from __future__ import annotations

import select
import socket

import pytest

from lanctl.dns.mmsg import MsgBatch

pytestmark = pytest.mark.skipif(not MsgBatch.supported(), reason="no recvmmsg/sendmmsg")


def _pair(family: socket.AddressFamily, host: str) -> tuple[socket.socket, list[socket.socket]]:
    server = socket.socket(family, socket.SOCK_DGRAM)
    server.bind((host, 0))
    server.setblocking(False)
    clients = []
    for _ in range(3):
        c = socket.socket(family, socket.SOCK_DGRAM)
        c.bind((host, 0))
        c.settimeout(2)
        clients.append(c)
    return server, clients


@pytest.mark.parametrize(("family", "host"), [(socket.AF_INET, "127.0.0.1"),
                                              (socket.AF_INET6, "::1")])  # fmt: skip
def test_batch_receives_all_and_replies_to_each_sender(
    family: socket.AddressFamily, host: str
) -> None:
    try:
        server, clients = _pair(family, host)
    except OSError:
        pytest.skip(f"no {host}")
    batch = MsgBatch(server, size=8)
    assert batch.recv() == 0  # nothing waiting: would block
    dest = server.getsockname()
    payloads = [b"one", b"x" * 60000, b"three"]  # any UDP size arrives whole
    for c, p in zip(clients, payloads, strict=True):
        c.sendto(p, dest)
    got: list[bytes] = []
    peers: list[tuple[object, ...]] = []
    while len(got) < 3:
        assert select.select([server], [], [], 5)[0], "datagrams never arrived"
        n = batch.recv()
        for i, size in enumerate(batch.lengths(n)):
            got.append(batch.packet(i, size))
            peers.append(batch.peer(i))
            batch.reply(i, b"re:" + got[-1][:5])
        assert batch.flush() == []
    assert got == payloads
    assert [p[:2] for p in peers] == [c.getsockname()[:2] for c in clients]
    for c, p in zip(clients, payloads, strict=True):
        data, src = c.recvfrom(100)
        assert data == b"re:" + p[:5] and src[:2] == dest[:2]
    for s in [server, *clients]:
        s.close()


def test_replies_beyond_the_batch_size_are_dropped_not_overflowed() -> None:
    server, clients = _pair(socket.AF_INET, "127.0.0.1")
    batch = MsgBatch(server, size=2)
    clients[0].sendto(b"q", server.getsockname())
    assert select.select([server], [], [], 5)[0]
    assert batch.recv() == 1
    for _ in range(3):
        batch.reply(0, b"r")
    assert batch.queued == 2
    assert batch.flush() == []
    server.sendto(b"end", clients[0].getsockname())  # after the batch: the next datagram
    assert [clients[0].recv(10) for _ in range(3)] == [b"r", b"r", b"end"]
    for s in [server, *clients]:
        s.close()


def test_answer_queues_fast_replies_and_returns_the_rest() -> None:
    server, clients = _pair(socket.AF_INET, "127.0.0.1")
    batch = MsgBatch(server, size=8)
    for c, p in zip(clients, (b"fast", b"slow", b"boom"), strict=True):
        c.sendto(p, server.getsockname())
    seen: list[float] = []

    def fast(data: bytes, now: float) -> bytes | None:
        seen.append(now)
        if data == b"boom":
            raise ValueError("the full path will answer this one")
        return b"answer" if data == b"fast" else None

    assert select.select([server], [], [], 5)[0], "datagrams never arrived"
    assert batch.recv() == 3  # loopback delivers at sendto: all three are waiting
    rest = batch.answer(3, fast, 42.0)
    assert seen == [42.0] * 3
    assert rest == [(1, b"slow"), (2, b"boom")]
    assert batch.queued == 1 and batch.flush() == []
    assert clients[0].recv(10) == b"answer"
    for s in [server, *clients]:
        s.close()
