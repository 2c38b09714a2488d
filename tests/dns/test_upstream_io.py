"""upstream_io.py on loopback: source ports, resolv.conf polling, TCP clients of forwarded names.

In-process trio servers on 127.0.0.1 forward to a small trio responder on another port that
records the source port of every query it gets.
"""

from __future__ import annotations

import socket
from pathlib import Path

import dns.flags
import dns.message
import dns.rrset
import pytest
import trio

from lanctl.config import load
from lanctl.config.model import Config
from lanctl.dns.server import DnsHandle, serve
from lanctl.dns.upstream_io import is_own_address, load_routes
from lanctl.dns.upstreams import Upstream
from tests.support import free_port, require_tool


async def responder(sock: trio.socket.SocketType, addr: str, seen: list[int]) -> None:
    """Answer every A query with `addr`; remember the querier's source port."""
    while True:
        data, peer = await sock.recvfrom(4096)
        seen.append(peer[1])
        r = dns.message.make_response(dns.message.from_wire(data))
        r.answer.append(dns.rrset.from_text(r.question[0].name, 60, "IN", "A", addr))
        await sock.sendto(r.to_wire(), peer)


async def bound(port: int) -> trio.socket.SocketType:
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", port))
    return sock


async def ask(port: int, name: str, *args: str, short: bool = True) -> str:
    argv = [require_tool("dig"), "@127.0.0.1", "-p", str(port), "+tries=1", "+time=2"]
    argv += ["+short"] if short else []
    proc = await trio.run_process([*argv, *args, name], capture_stdout=True, check=False)
    return proc.stdout.decode().strip()


def cfg(port: int, *extra: str) -> Config:
    return load(["--no-hosts", f"--port={port}", "--listen-address=127.0.0.1", *extra])


def run(cfg: Config, body: object, *responders: tuple[int, str, list[int]]) -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            for up_port, addr, seen in responders:
                nursery.start_soon(responder, await bound(up_port), addr, seen)
            handle: DnsHandle = await nursery.start(serve, cfg)
            await body(handle)  # type: ignore[operator]
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_min_and_max_port_bound_the_source_port() -> None:
    port, up, src = free_port(), free_port(), free_port()
    seen: list[int] = []

    async def body(handle: DnsHandle) -> None:
        assert await ask(port, "a.example") == "203.0.113.1"
        assert await ask(port, "b.example", "+tcp") == "203.0.113.1"

    conf = cfg(port, "--no-resolv", f"--server=127.0.0.1#{up}", f"--min-port={src}",
               f"--max-port={src}")  # fmt: skip
    run(conf, body, (up, "203.0.113.1", seen))
    assert seen == [src, src]


def test_query_port_sends_every_query_from_that_port() -> None:
    port, up, qport = free_port(), free_port(), free_port()
    seen: list[int] = []

    async def body(handle: DnsHandle) -> None:
        async with trio.open_nursery() as nursery:  # concurrent: they share the one socket
            for i in range(6):
                nursery.start_soon(ask_ok, port, f"q{i}.example")
        assert await ask(port, "again.example") == "203.0.113.1"

    conf = cfg(port, "--no-resolv", f"--server=127.0.0.1#{up}", f"--query-port={qport}")
    run(conf, body, (up, "203.0.113.1", seen))
    assert seen == [qport] * 7


async def ask_ok(port: int, name: str) -> None:
    assert await ask(port, name) == "203.0.113.1"


def test_default_source_ports_are_random_per_query() -> None:
    port, up = free_port(), free_port()
    seen: list[int] = []

    async def body(handle: DnsHandle) -> None:
        for i in range(8):
            assert await ask(port, f"n{i}.example") == "203.0.113.1"

    run(cfg(port, "--no-resolv", f"--server=127.0.0.1#{up}"), body, (up, "203.0.113.1", seen))
    assert len(seen) == 8 and len(set(seen)) >= 7


@pytest.mark.parametrize("no_poll", [False, True])
def test_resolv_file_is_polled_unless_no_poll(tmp_path: Path, no_poll: bool) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.53\n")
    seen: list[list[str]] = []

    def labels(handle: DnsHandle) -> list[str]:
        return [s.label for s in handle.engine.routes.all_servers()]

    async def body(handle: DnsHandle) -> None:
        seen.append(labels(handle))
        resolv.write_text("nameserver 192.0.2.54\nnameserver 192.0.2.55\n")
        # Polled once a second: give it a few rounds (a bound, not a synchronisation).
        with trio.move_on_after(3 if no_poll else 15):
            while labels(handle) == seen[0]:  # noqa: ASYNC110 - nothing to wait on
                await trio.sleep(0.1)
        seen.append(labels(handle))
        handle.reload()  # SIGHUP re-reads it in both cases
        seen.append(labels(handle))

    extra = ["--no-poll"] if no_poll else []
    run(cfg(free_port(), f"--resolv-file={resolv}", *extra), body)
    new = ["192.0.2.54#53", "192.0.2.55#53"]
    assert seen == [["192.0.2.53#53"], ["192.0.2.53#53"] if no_poll else new, new]


def _big_answer(data: bytes) -> bytes:
    r = dns.message.make_response(dns.message.from_wire(data))
    addrs = [f"203.0.113.{i}" for i in range(1, 101)]  # 100 A records: > 1232 bytes
    r.answer.append(dns.rrset.from_text(r.question[0].name, 60, "IN", "A", *addrs))
    return r.to_wire(max_size=65535)


async def tc_responder(udp: trio.socket.SocketType, tcp_port: int, seen: list[str]) -> None:
    """UDP: header and question with TC=1; TCP: the whole 100-record answer."""

    async def tcp_client(stream: trio.SocketStream) -> None:
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + int.from_bytes(buf[:2], "big"):
            buf += await stream.receive_some(4096)
        seen.append("tcp")
        reply = _big_answer(buf[2:])
        await stream.send_all(len(reply).to_bytes(2, "big") + reply)

    async with trio.open_nursery() as nursery:
        listeners = await trio.open_tcp_listeners(tcp_port, host="127.0.0.1")
        nursery.start_soon(trio.serve_listeners, tcp_client, listeners)
        while True:
            data, peer = await udp.recvfrom(4096)
            seen.append("udp")
            r = dns.message.make_response(dns.message.from_wire(data))
            r.flags |= dns.flags.TC
            await udp.sendto(r.to_wire(), peer)


def test_truncated_upstream_reply_is_fetched_over_tcp_for_tcp_clients() -> None:
    port, up = free_port(), free_port()
    seen: list[str] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tc_responder, await bound(up), up, seen)
            await nursery.start(serve, cfg(port, "--no-resolv", f"--server=127.0.0.1#{up}"))
            udp = await ask(port, "big.example", "+ignore", short=False)
            assert "flags: qr tc rd ra" in udp
            out = await ask(port, "big.example", "+tcp")
            assert len(out.split()) == 100 and "203.0.113.100" in out
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert seen == ["udp", "udp", "tcp"]


def test_own_addresses_in_resolv_conf_are_ignored(tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\nnameserver 192.0.2.53\n")
    dns53 = cfg(53, f"--resolv-file={resolv}").dns  # only built, never bound
    assert [u.label for u in load_routes(dns53).all_servers()] == ["192.0.2.53#53"]
    other = cfg(free_port(), f"--resolv-file={resolv}").dns  # another port: no loop
    assert [u.label for u in load_routes(other).all_servers()] == ["127.0.0.1#53", "192.0.2.53#53"]
    assert is_own_address(Upstream("127.0.0.1"), 53)
    assert not is_own_address(Upstream("192.0.2.53"), 53)
    assert not is_own_address(Upstream("127.0.0.1", 5353), 53)
