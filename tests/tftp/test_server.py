"""The trio TFTP adapter on loopback (high ports, in-process), with the raw test client."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import trio

from lanctl.config.grammar.dhcp_net import TftpRoot
from lanctl.config.model import Config, CoreCfg, TftpCfg
from lanctl.errors import FileSystemError
from lanctl.tftp.server import TftpHandle, serve
from lanctl.tftp.wire import Error, Opcode, Request, decode_packet, encode_ack, encode_request
from tests.support import free_port
from tests.tftp.client import Result, fetch

T = TypeVar("T")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    base.mkdir()
    (base / "small").write_bytes(os.urandom(1000))
    (base / "big").write_bytes(os.urandom(300_000))
    for p in base.iterdir():
        p.chmod(0o644)
    return base


def config(root: Path, **kw: object) -> Config:
    tftp = TftpCfg(enable_tftp=True, tftp_root=(TftpRoot(str(root)),), port=free_port(), **kw)  # type: ignore[arg-type]
    return Config(core=CoreCfg(user=None, pid_file=None), tftp=tftp)


def with_server(cfg: Config, client: Callable[[int, TftpHandle], T]) -> T:
    """Run the server, call the blocking `client(port, handle)` in a thread, stop."""

    async def main() -> T:
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(serve, cfg)
            out = await trio.to_thread.run_sync(client, cfg.tftp.port, handle)
            nursery.cancel_scope.cancel()
        return out

    return trio.run(main)


def test_fetch_with_options_and_window(root: Path) -> None:
    opts = (("blksize", "1400"), ("tsize", "0"), ("windowsize", "4"), ("timeout", "2"))

    def client(port: int, handle: TftpHandle) -> tuple[Result, Result]:
        return fetch("127.0.0.1", port, "big", opts), fetch("127.0.0.1", port, "small")

    windowed, plain = with_server(config(root), client)
    assert windowed.data == (root / "big").read_bytes()
    assert windowed.oack == (
        ("blksize", "1400"),
        ("tsize", "300000"),
        ("windowsize", "4"),
        ("timeout", "2"),
    )
    assert plain.data == (root / "small").read_bytes() and plain.oack is None


def test_stats_count_transfers(root: Path) -> None:
    def client(port: int, handle: TftpHandle) -> dict[str, object]:
        fetch("127.0.0.1", port, "small")
        fetch("127.0.0.1", port, "missing")
        for _ in range(200):  # the server task accounts for the transfer just after its last ACK
            if handle.stats()["sent"] == 1:
                break
            trio.from_thread.run(trio.sleep, 0.01)
        return handle.stats()

    stats = with_server(config(root), client)
    assert isinstance(stats, dict)
    assert (stats["sent"], stats["not_found"], stats["bytes_sent"]) == (1, 1, 1000)


def test_errors_for_missing_and_traversal(root: Path) -> None:
    def client(port: int, handle: TftpHandle) -> list[Error | None]:
        return [fetch("127.0.0.1", port, n).error for n in ("missing", "../../etc/passwd")]

    missing, traversal = with_server(config(root), client)
    assert missing is not None and missing.code == 1
    assert traversal is not None and traversal.code == 2


def test_unknown_transfer_id_gets_error_5_and_the_transfer_goes_on(root: Path) -> None:
    def client(port: int, handle: TftpHandle) -> tuple[Error, Result]:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.settimeout(5)
        b.settimeout(5)
        try:
            a.sendto(encode_request(Request(Opcode.RRQ, "small", "octet")), ("127.0.0.1", port))
            first, tid = a.recvfrom(2000)
            b.sendto(encode_ack(1), tid)  # a stranger ACKs the transfer
            stray = decode_packet(b.recvfrom(2000)[0])
            assert isinstance(stray, Error)
            a.sendto(encode_ack(1), tid)  # the real client carries on normally
            second, addr = a.recvfrom(2000)
            assert addr == tid
            a.sendto(encode_ack(2), tid)
            data = b"".join(p[4:] for p in (first, second))
            return stray, Result(data=data)
        finally:
            a.close()
            b.close()

    stray, done = with_server(config(root), client)
    assert stray.code == 5
    assert done.data == (root / "small").read_bytes()


def test_port_range(root: Path) -> None:
    def client(port: int, handle: TftpHandle) -> Result:
        return fetch("127.0.0.1", port, "big", (("blksize", "1024"),))

    got = with_server(config(root, tftp_port_range=(41000, 41009)), client)
    assert isinstance(got, Result) and got.data == (root / "big").read_bytes()
    assert len(got.server_ports) == 1 and 41000 <= min(got.server_ports) <= 41009


def test_single_port_replies_come_from_the_listener(root: Path) -> None:
    cfg = config(root, tftp_single_port=True)

    def client(port: int, handle: TftpHandle) -> Result:
        return fetch("127.0.0.1", port, "big", (("windowsize", "8"),))

    got = with_server(cfg, client)
    assert isinstance(got, Result) and got.server_ports == {cfg.tftp.port}
    assert got.data == (root / "big").read_bytes()


def test_tftp_max_refuses_while_full(root: Path) -> None:
    def client(port: int, handle: TftpHandle) -> Error | None:
        hold = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        hold.settimeout(5)
        try:
            hold.sendto(encode_request(Request(Opcode.RRQ, "big", "octet")), ("127.0.0.1", port))
            hold.recvfrom(2000)  # first DATA: the one slot is taken and never ACKed
            return fetch("127.0.0.1", port, "small").error
        finally:
            hold.close()

    err = with_server(config(root, tftp_max=1), client)
    assert isinstance(err, Error) and err.code == 0 and "too many" in err.message


def test_missing_root_stops_start_up_unless_no_fail(tmp_path: Path) -> None:
    cfg = config(tmp_path / "nonexistent")
    with pytest.raises(FileSystemError) as exc:
        trio.run(serve, cfg)
    assert exc.value.exit_code == 3 and "inaccessible" in str(exc.value)

    no_fail = dataclasses.replace(cfg, tftp=dataclasses.replace(cfg.tftp, tftp_no_fail=True))

    def client(port: int, handle: TftpHandle) -> Error | None:
        return fetch("127.0.0.1", port, "x").error

    err = with_server(no_fail, client)
    assert isinstance(err, Error) and err.code == 1


def test_a_failing_transfer_does_not_stop_the_service(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanctl.tftp.files import FileSource

    real_read = FileSource.read
    calls = {"n": 0}

    def flaky_read(self: FileSource, offset: int, size: int) -> bytes:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated bug")
        return real_read(self, offset, size)

    monkeypatch.setattr(FileSource, "read", flaky_read)

    def client(port: int, handle: TftpHandle) -> tuple[Result, dict[str, object]]:
        # The first transfer dies on the simulated bug; the client's RRQ retransmission
        # (after 2 s without an answer) is then served by a fresh transfer.
        got = fetch("127.0.0.1", port, "small")
        return got, dict(handle.stats())

    got, stats = with_server(config(root), client)
    assert got.data == (root / "small").read_bytes()
    assert stats["failed"] == 1 and calls["n"] > 1


def lock_step_fetch(
    sock: socket.socket, port: int, name: str
) -> tuple[bytes, bytes, tuple[str, int]]:
    """Fetch `name` (blksize 512) on `sock`; the file, the last DATA and the server's TID."""
    sock.sendto(encode_request(Request(Opcode.RRQ, name, "octet")), ("127.0.0.1", port))
    data = b""
    while True:
        raw, tid = sock.recvfrom(2000)
        sock.sendto(encode_ack(int.from_bytes(raw[2:4], "big")), tid)
        data += raw[4:]
        if len(raw) < 516:
            return data, raw, tid


def test_single_port_late_ack_is_answered_as_dnsmasq_does(root: Path) -> None:
    """After the final ACK the transfer is over: a late ACK from the same client port is a
    request again, which dnsmasq 2.90 refuses with ERROR 4 (checked on the wire by
    tests/tftp/test_compat.py); no DATA is sent again."""
    cfg = config(root, tftp_single_port=True)

    def client(port: int, handle: TftpHandle) -> tuple[bytes, list[object]]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(5)
        try:
            data, last, tid = lock_step_fetch(sock, port, "small")
            answers: list[object] = []
            for block in (int.from_bytes(last[2:4], "big"), 1):
                sock.sendto(encode_ack(block), tid)
                answers.append(decode_packet(sock.recvfrom(2000)[0]))
            return data, answers
        finally:
            sock.close()

    data, answers = with_server(cfg, client)
    assert data == (root / "small").read_bytes()
    assert answers == [Error(4, "unsupported request from 127.0.0.1")] * 2


def test_packet_from_another_tid_gets_error_5_worded_as_dnsmasq(root: Path) -> None:
    def client(port: int, handle: TftpHandle) -> tuple[object, bytes]:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.settimeout(5)
        b.settimeout(5)
        try:
            a.sendto(encode_request(Request(Opcode.RRQ, "big", "octet")), ("127.0.0.1", port))
            _first, tid = a.recvfrom(2000)
            b.sendto(encode_ack(1), tid)
            stranger = decode_packet(b.recvfrom(2000)[0])
            a.sendto(encode_ack(1), tid)  # the transfer itself carries on
            return stranger, a.recvfrom(2000)[0][:4]
        finally:
            a.close()
            b.close()

    stranger, second = with_server(config(root), client)
    assert stranger == Error(5, "ignoring packet from 127.0.0.1 (TID mismatch)")
    assert second == b"\0\3\0\2"


def test_concurrent_transfers_of_one_file_each_get_its_bytes(root: Path) -> None:
    """Two clients fetch the same file at once, their ACKs interleaved block by block."""

    def client(port: int, handle: TftpHandle) -> list[bytes]:
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        got = [b"", b""]
        tids: list[tuple[str, int] | None] = [None, None]
        try:
            for s in socks:
                s.settimeout(5)
                s.sendto(encode_request(Request(Opcode.RRQ, "big", "octet")), ("127.0.0.1", port))
            done = [False, False]
            while not all(done):
                for i, s in enumerate(socks):
                    if done[i]:
                        continue
                    raw, tid = s.recvfrom(2000)
                    tids[i] = tid
                    got[i] += raw[4:]
                    s.sendto(encode_ack(int.from_bytes(raw[2:4], "big")), tid)
                    done[i] = len(raw) < 516
            assert tids[0] != tids[1]
            return got
        finally:
            for s in socks:
                s.close()

    got = with_server(config(root), client)
    assert got == [(root / "big").read_bytes()] * 2
