"""A stand-in service for supervisor and control-socket tests (no DNS needed).

`serve` binds a UDP socket on 127.0.0.1 (port `BIND_PORT`, 0 = any), echoes datagrams,
and hands the supervisor a `FakeHandle` that counts reload/stats calls and keeps a
pretend cache for `cache.dump`/`cache.clear`.  Tests point `lanctl.supervisor.SUBSYSTEMS`
at this module; `HANDLES` lets in-process tests look at the handles the supervisor got.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

import trio

from lanctl.errors import NetworkError

log = logging.getLogger("lanctl.fake")

BIND_PORT = 0
BIND_ATTEMPTS = 0
HANDLES: list[FakeHandle] = []


class FakeHandle:
    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.port = port
        self.reloads = 0
        self.stats_calls = 0
        self.cache: list[dict[str, Any]] = [
            {"name": "host.example", "type": "A", "ttl": 300, "flags": "F", "source": "upstream"},
            {"name": "printer.lan", "type": "A", "ttl": 0, "flags": "H", "source": "hosts"},
        ]

    def stats(self) -> dict[str, Any]:
        self.stats_calls += 1
        return {"port": self.port, "reloads": self.reloads, "cache_entries": len(self.cache)}

    def reload(self) -> None:
        self.reloads += 1
        log.info("cleared cache")

    def control(self, command: str, args: dict[str, Any]) -> Any:
        if command == "cache.dump":
            return list(self.cache)
        if command == "cache.clear":
            n = len(self.cache)
            self.cache.clear()
            return {"removed": n}
        if command == "boom":
            raise RuntimeError("fake failure")
        raise KeyError(command)

    def log_stats(self) -> list[str]:
        return [f"fake stats: reloads {self.reloads}, stats calls {self.stats_calls}"]


async def serve(
    cfg: object, ctx: object = None, *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    global BIND_ATTEMPTS
    BIND_ATTEMPTS += 1
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        try:
            await sock.bind(("127.0.0.1", BIND_PORT))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise NetworkError(
                    f"failed to create listening socket for 127.0.0.1: {exc.strerror}"
                ) from None
            raise
        handle = FakeHandle("dns", sock.getsockname()[1])
        HANDLES.append(handle)
        task_status.started(handle)
        try:
            while True:
                data, peer = await sock.recvfrom(2048)
                await sock.sendto(data, peer)
        finally:
            with trio.move_on_after(2, shield=True):
                await trio.lowlevel.checkpoint()
                log.info("fake service flushed")
