"""The per-datagram UDP drain loop, for sockets that must know where each query arrived.

Used instead of the batched loop (drain.py) for --local-service (a source filter), when a
wildcard (or --bind-dynamic) socket applies --interface / --except-interface /
--listen-address per query (listen.py's Gate), and when --localise-queries needs the
local address a query was sent to on a wildcard socket.
recvmsg with IP_PKTINFO / IPV6_PKTINFO gives the arrival interface and destination
address; same shape as the plain loop (ARCHITECTURE §5): no await per packet.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Final

import trio

from lanctl.dns.engine import DnsEngine
from lanctl.dns.listen import Gate
from lanctl.dns.localise import Net
from lanctl.dns.upstream_io import UpstreamIO
from lanctl.net.interfaces import CMSG_SIZE, pktinfo

log = logging.getLogger("lanctl.dns")

BATCH: Final = 64
MAX_UDP_IN: Final = 65535


async def gated_udp_loop(
    engine: DnsEngine,
    sock: socket.socket,
    io: UpstreamIO,
    gate: Gate | None,
    arrival: Callable[[str], Net | None] | None,
    allows: Callable[[str], bool] | None = None,
    net: Net | None = None,
) -> None:
    """recvmsg until it would block; drop what the gate (or `allows`, --local-service, on
    the source address) refuses; one reply per query.  `net`: the fixed arrival subnet of
    a socket bound to one address, used when `arrival` (wildcard sockets) is None."""
    recv, send, on_query = sock.recvmsg, sock.sendto, engine.on_query
    check = gate.udp if gate is not None else None
    clock = trio.current_time
    count = 0
    while True:
        try:
            data, anc, _flags, peer = recv(MAX_UDP_IN, CMSG_SIZE)
        except BlockingIOError:
            for line in engine.take_logs():
                log.info("%s", line)
            await trio.lowlevel.wait_readable(sock)
            continue
        except OSError as exc:
            log.debug("recvmsg: %s", exc)
            continue
        if allows is not None and not allows(peer[0]):
            continue
        local: str | None = None
        if check is not None:
            ok, local = check(anc)
            if not ok:
                continue
        elif arrival is not None:
            local = pktinfo(anc)[1]
        if arrival is not None:
            net = arrival(local) if local is not None else None
        try:
            reply = on_query(data, peer, clock(), "udp", (sock, peer), net)
        except Exception:  # per-packet boundary (convention 4)
            log.exception("error answering DNS query from %s", peer[0])
            reply = engine.servfail(data)
        if not reply:
            if engine.has_actions:
                io.dispatch()
        else:
            try:
                send(reply, peer)
            except OSError as exc:
                log.debug("sendto %s: %s", peer[0], exc)
        count += 1
        if count >= BATCH:
            count = 0
            for line in engine.take_logs():
                log.info("%s", line)
            await trio.lowlevel.checkpoint()


__all__ = ["gated_udp_loop"]
