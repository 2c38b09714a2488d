"""The per-transfer worker of the TFTP adapter: one thread per transfer socket.

The hot path of a lock-step transfer is one ACK in, one DATA out.  A thread blocked in
recvfrom(2) is woken by the kernel directly, which costs far less per block than a trip
through trio's scheduler; that is what keeps lanctl close to dnsmasq at blksize 512
(bench/tftp.sh).  The thread only moves bytes: every decision is the engine's.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from typing import Final

from lanctl.tftp.engine import Transfer
from lanctl.tftp.wire import ErrorCode, encode_error

log = logging.getLogger("lanctl.tftp")

POLL: Final = 0.1  # seconds: timer granularity and stop latency of transfer threads
_RCVTIMEO: Final = struct.pack("@ll", 0, int(POLL * 1_000_000))  # struct timeval
MAX_DATAGRAM: Final = 65536
UNKNOWN_TID: Final = encode_error(ErrorCode.UNKNOWN_TID, "unknown transfer ID")
Peer = tuple[str, int]


def transfer_thread(
    sock: socket.socket, transfer: Transfer, peer: Peer, stop: threading.Event
) -> None:
    """Run `transfer` until it ends or `stop` is set (checked every POLL seconds).

    Only this thread touches `transfer` until it returns; timers use the monotonic clock.
    """
    clock = time.monotonic
    recv, sendto = sock.recvfrom, sock.sendto
    on_packet, on_timer = transfer.on_packet, transfer.on_timer
    stopped = stop.is_set
    # SO_RCVTIMEO on a blocking socket: one recvfrom(2) per packet, EAGAIN on timeout
    # (Python's own socket timeouts would add a poll(2) before every receive).
    sock.setblocking(True)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _RCVTIMEO)
    send_all(sock, transfer.start(clock()), peer)
    while transfer.outcome is None and not stopped():
        try:
            data, addr = recv(MAX_DATAGRAM)
        except BlockingIOError:  # SO_RCVTIMEO expired
            send_all(sock, on_timer(clock()), peer)
            continue
        except OSError as exc:  # e.g. an ICMP error surfaced on the socket
            log.debug("recvfrom: %s", exc)
            continue
        now = clock()
        if addr == peer or addr[:2] == peer:  # IPv6 addresses come as 4-tuples
            for packet in on_packet(data, now):  # the hot path: kept free of calls
                try:
                    sendto(packet, peer)
                except OSError as exc:  # full buffer: the retransmit timer covers it
                    log.debug("sendto %s: %s", peer[0], exc)
        else:
            send_all(sock, [UNKNOWN_TID], addr)  # RFC 1350 §4: another transfer ID
        if now >= transfer.deadline:  # due even while stray packets keep arriving
            send_all(sock, on_timer(now), peer)


def send_all(sock: socket.socket, packets: list[bytes], peer: Peer) -> None:
    for packet in packets:
        try:
            sock.sendto(packet, peer)
        except OSError as exc:  # full buffer or unreachable: the retransmit timer covers it
            log.debug("sendto %s: %s", peer[0], exc)
