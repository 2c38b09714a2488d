"""A minimal rtnetlink dump client (Linux): the messages of one NLM_F_DUMP request.

Used for the neighbour table (neighbours.py, --script-arp) and the IPv4 addresses of
every interface (addresses.py, DHCP links and --listen-address).  Dumps need no
privilege, so they work after the drop to nobody.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from typing import Final

NETLINK_ROUTE: Final = 0
NLM_F_REQUEST: Final = 0x1
NLM_F_DUMP: Final = 0x300
NLMSG_ERROR: Final = 2
NLMSG_DONE: Final = 3
NLMSG: Final = struct.Struct("=IHHII")  # len, type, flags, seq, pid
RTATTR: Final = struct.Struct("=HH")  # len, type

__all__ = ["attributes", "dump", "messages"]


def _align(n: int) -> int:
    return (n + 3) & ~3


def messages(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, body) of each netlink message in `data`; NLMSG_DONE/ERROR end the walk."""
    pos = 0
    while pos + NLMSG.size <= len(data):
        length, kind, _flags, _seq, _pid = NLMSG.unpack_from(data, pos)
        if length < NLMSG.size or pos + length > len(data):
            return
        yield kind, data[pos + NLMSG.size : pos + length]
        if kind in (NLMSG_DONE, NLMSG_ERROR):
            return
        pos += _align(length)


def attributes(body: bytes, offset: int) -> dict[int, bytes]:
    """The route attributes after a fixed header of `offset` octets (first one wins)."""
    out: dict[int, bytes] = {}
    while offset + RTATTR.size <= len(body):
        alen, atype = RTATTR.unpack_from(body, offset)
        if alen < RTATTR.size:
            break
        out.setdefault(atype, body[offset + RTATTR.size : offset + alen])
        offset += _align(alen)
    return out


def dump(request_type: int, request: bytes) -> list[tuple[int, bytes]]:
    """Send one dump request (its fixed header `request`); every reply message until DONE."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE) as sock:
        sock.bind((0, 0))
        flags = NLM_F_REQUEST | NLM_F_DUMP
        header = NLMSG.pack(NLMSG.size + len(request), request_type, flags, 1, os.getpid())
        sock.send(header + request)
        out: list[tuple[int, bytes]] = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            for kind, body in messages(chunk):
                if kind in (NLMSG_DONE, NLMSG_ERROR):
                    return out
                out.append((kind, body))
