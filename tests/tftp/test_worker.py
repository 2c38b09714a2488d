"""The transfer thread's sender: a window as UDP GSO sends, one datagram per send otherwise."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import pytest

from lanctl.tftp.worker import Batcher


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    rx.bind(("127.0.0.1", 0))
    tx.connect(rx.getsockname())  # the worker's socket is connected to the client
    rx.settimeout(5)
    yield tx, rx
    tx.close()
    rx.close()


def window(count: int, size: int, last: int) -> list[bytes]:
    out = [b"\0\3" + n.to_bytes(2, "big") + bytes([n]) * size for n in range(1, count)]
    return [*out, b"\0\3" + count.to_bytes(2, "big") + b"z" * last]


def receive(rx: socket.socket, count: int) -> list[bytes]:
    return [rx.recvfrom(70000)[0] for _ in range(count)]


@pytest.mark.parametrize(("count", "size", "last"), [(16, 1468, 1468), (8, 512, 100), (2, 8, 0)])
def test_a_window_arrives_as_the_same_datagrams(
    pair: tuple[socket.socket, socket.socket], count: int, size: int, last: int
) -> None:
    tx, rx = pair
    packets = window(count, size, last)
    batcher = Batcher(tx, rx.getsockname())
    batcher.send(packets)
    assert receive(rx, count) == packets
    assert batcher.gso  # loopback takes UDP GSO (Linux >= 4.18)


def test_more_than_one_gso_send_per_window(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    packets = window(20, 4096, 10)  # at most 15 blocks of 4 KiB per 64 KB send
    Batcher(tx, rx.getsockname()).send(packets)
    assert receive(rx, 20) == packets


def test_unequal_sizes_are_sent_one_by_one(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    packets = [b"\0\6tsize\0001\0", *window(3, 512, 512)]  # e.g. an OACK first
    batcher = Batcher(tx, rx.getsockname())
    batcher.send(packets)
    assert receive(rx, 4) == packets and batcher.gso


class NoGso:
    """A socket whose kernel refuses UDP_SEGMENT (EIO, as without checksum offload)."""

    def __init__(self, real: socket.socket) -> None:
        self.real = real
        self.sendmsg_calls = 0

    def sendmsg(self, *args: object) -> int:
        self.sendmsg_calls += 1
        raise OSError(errno.EIO, "Input/output error")

    def send(self, data: bytes) -> int:
        return self.real.send(data)


def test_gso_refused_falls_back_for_the_rest_of_the_transfer(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    tx, rx = pair
    sock = NoGso(tx)
    batcher = Batcher(sock, rx.getsockname())  # type: ignore[arg-type]
    first, second = window(4, 512, 512), window(4, 512, 3)
    batcher.send(first)
    batcher.send(second)
    assert receive(rx, 8) == first + second
    assert not batcher.gso and sock.sendmsg_calls == 1
