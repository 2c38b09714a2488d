"""Run the `lanctl` CLI with a fault injected into one service's receive loop.

Usage: python run_lanctl_with_fault.py SERVICE:FAULTS[:AFTER] LANCTL-ARGUMENTS...

- ``tftp:N``: the first N times a TFTP well-known-port listener has a datagram waiting, it
  raises RuntimeError instead of reading it (`TftpServer.listen` is wrapped).
- ``dns:N``: the first N times a DNS UDP listener (one bound to an address, `_udp_loop`)
  has a datagram waiting, it raises RuntimeError instead of reading it.
- ``dhcp4:N:A``: after A DHCP datagrams were handled normally, the next N raise
  RuntimeError where the receive loop looks up the arrival interface
  (`Interfaces.lookup`).

Both points are outside the services' per-packet boundaries, so the whole service fails
after start-up, as a bug in its loop would.  Only this test-support process is patched;
lanctl itself has no fault hook.  Used by tests/test_isolation_e2e.py.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import trio

from lanctl import cli


class Fault:
    def __init__(self, spec: str) -> None:
        service, faults, *after = spec.split(":")
        self.service = service
        self.left = int(faults)
        self.skip = int(after[0]) if after else 0

    def fire(self) -> None:
        """Count one event; raise when it is one of the faulty ones."""
        if self.skip > 0:
            self.skip -= 1
            return
        if self.left > 0:
            self.left -= 1
            raise RuntimeError(f"injected fault in the {self.service} receive loop")


def patch_tftp(fault: Fault) -> None:
    from lanctl.tftp import server

    original = server.TftpServer.listen

    async def listen(
        self: server.TftpServer, sock: socket.socket, bound: str | None = None
    ) -> None:
        if fault.left > 0:
            await trio.lowlevel.wait_readable(sock)
            fault.fire()
        await original(self, sock, bound)

    server.TftpServer.listen = listen  # type: ignore[method-assign]


def patch_dns(fault: Fault) -> None:
    from lanctl.dns import server

    original = server._udp_loop

    async def udp_loop(engine: Any, sock: socket.socket, *args: Any) -> None:
        if fault.left > 0:
            await trio.lowlevel.wait_readable(sock)
            fault.fire()
        await original(engine, sock, *args)

    server._udp_loop = udp_loop  # type: ignore[assignment]


def patch_dhcp4(fault: Fault) -> None:
    from lanctl.dhcp4.ifaces import Interfaces

    original = Interfaces.lookup

    def lookup(self: Interfaces, index: int) -> Any:
        fault.fire()
        return original(self, index)

    Interfaces.lookup = lookup  # type: ignore[method-assign]


def main() -> None:
    fault = Fault(sys.argv[1])
    {"tftp": patch_tftp, "dns": patch_dns, "dhcp4": patch_dhcp4}[fault.service](fault)
    sys.argv = ["lanctl", *sys.argv[2:]]
    cli.main()


if __name__ == "__main__":
    main()
