"""Run the DNS listener tasks, and with --bind-dynamic follow interface address changes.

Static modes start one task per bound socket for the life of the service.  --bind-dynamic
(dnsmasq: "a hybrid between --bind-interfaces and the default") binds each allowed
interface address, and on every rtnetlink address event re-reads the interfaces: new
allowed addresses get sockets, vanished ones have their tasks cancelled and sockets
closed.  An address that cannot be bound yet (IPv6 still tentative) is retried on the
next event, as dnsmasq logs and carries on.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable

import trio

from lanctl.config.model import CoreCfg
from lanctl.dns.listen import bound_addresses, open_socket
from lanctl.net.interfaces import Interfaces
from lanctl.net.netlink import AddressWatch

log = logging.getLogger("lanctl.dns")

Runner = Callable[[socket.socket], Awaitable[None]]
Key = tuple[str, int]


def _open_pair(address: str, scope: int, port: int) -> tuple[socket.socket, socket.socket]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    udp = open_socket(family, socket.SOCK_DGRAM, address, port, scope)
    try:
        tcp = open_socket(family, socket.SOCK_STREAM, address, port, scope)
    except BaseException:
        udp.close()
        raise
    return udp, tcp


class DynamicListeners:
    """--bind-dynamic: one (UDP, TCP) socket pair per allowed address, kept current."""

    def __init__(self, core: CoreCfg, port: int, ifaces: Interfaces) -> None:
        self.core, self.port, self.ifaces = core, port, ifaces
        self.scopes: dict[Key, trio.CancelScope] = {}
        self.addresses: list[tuple[str, int]] = []

    def open_initial(self) -> list[tuple[Key, tuple[socket.socket, socket.socket]]]:
        """Bind what can be bound now (before the privilege drop)."""
        out = []
        for address, scope in bound_addresses(self.core, self.ifaces.addresses):
            try:
                out.append(((address, scope), _open_pair(address, scope, self.port)))
            except OSError as exc:
                log.warning("failed to create listening socket for %s: %s", address, exc.strerror)
        return out

    def _start(
        self,
        nursery: trio.Nursery,
        key: Key,
        pair: tuple[socket.socket, socket.socket],
        runners: tuple[Runner, Runner],
    ) -> None:
        scope = trio.CancelScope()
        self.scopes[key] = scope

        async def both() -> None:
            try:
                with scope:
                    async with trio.open_nursery() as inner:
                        inner.start_soon(runners[0], pair[0])
                        inner.start_soon(runners[1], pair[1])
            finally:
                pair[0].close()
                pair[1].close()

        nursery.start_soon(both)

    async def run(
        self,
        initial: list[tuple[Key, tuple[socket.socket, socket.socket]]],
        run_udp: Runner,
        run_tcp: Runner,
    ) -> None:
        """Serve the sockets bound so far, then follow address changes until cancelled."""
        runners = (run_udp, run_tcp)
        watch = AddressWatch()
        try:
            async with trio.open_nursery() as nursery:
                for key, pair in initial:
                    self._start(nursery, key, pair, runners)
                while True:
                    await watch.changes()
                    self.ifaces.refresh()
                    self._update(nursery, runners)
        finally:
            watch.close()

    def _update(self, nursery: trio.Nursery, runners: tuple[Runner, Runner]) -> None:
        want = bound_addresses(self.core, self.ifaces.addresses)
        for key in [k for k in self.scopes if k not in want]:
            self.scopes.pop(key).cancel()
            log.info("stopped listening on %s", key[0])
        for address, scope in want:
            if (address, scope) in self.scopes:
                continue
            try:
                pair = _open_pair(address, scope, self.port)
            except OSError as exc:
                log.debug("cannot listen on %s yet: %s", address, exc.strerror)
                continue
            log.info("listening on %s", address)
            self._start(nursery, (address, scope), pair, runners)


__all__ = ["DynamicListeners"]
