"""Address change notifications from the kernel (rtnetlink), for --bind-dynamic.

A NETLINK_ROUTE socket subscribed to link and IPv4/IPv6 address groups; `changes()`
waits until at least one message arrives and drains the rest, so the caller re-reads the
interface list once per burst (dnsmasq re-scans its interfaces on the same events).
"""

from __future__ import annotations

import socket
from typing import Final

import trio

RTMGRP_LINK: Final = 0x1
RTMGRP_IPV4_IFADDR: Final = 0x10
RTMGRP_IPV6_IFADDR: Final = 0x100
NETLINK_ROUTE: Final = 0


class AddressWatch:
    """Wake on interface address changes."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        try:
            self.sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))
            self.sock.setblocking(False)
        except BaseException:
            self.sock.close()
            raise

    async def changes(self) -> None:
        """Return after the next burst of notifications (drained)."""
        await trio.lowlevel.wait_readable(self.sock)
        while True:
            try:
                self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:  # ENOBUFS: events were lost; a re-read catches up anyway
                return

    def close(self) -> None:
        self.sock.close()


__all__ = ["AddressWatch"]
